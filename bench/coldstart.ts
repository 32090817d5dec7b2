import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median, printTable } from './peers';

const RUNS = 7;
const GOAL_BYTES = 1e6;
const GOAL_MS = 150;
const root = join(import.meta.dirname, '..');

export interface BundleFigures {
  name: string;
  zipBytes: number;
  /** The handler and every chunk it imports statically: what a cold start parses. */
  initBytes: number;
  /** Chunks loaded only when used (SSM, Secrets Manager, credential providers, the runbook). */
  lazyBytes: number;
  /** Median time to import the handler in a fresh node, with the function's NODE_OPTIONS. */
  importMs: number;
}

/** `import ... from "./x.js"` / `import "./x.js"` at the top of an esbuild ESM file (not `import("./x.js")`). */
const STATIC_IMPORT = /import\s*(?:[\w$]+\s*,?\s*)?(?:\{[^}]*\}|\*\s*as\s+[\w$]+)?\s*(?:from\s*)?"(\.{1,2}\/[^"]+\.js)"/g;

function staticClosure(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const m of readFileSync(file, 'utf8').matchAll(STATIC_IMPORT)) visit(join(dirname(file), m[1]!));
  };
  visit(entry);
  return seen;
}

/** The function's NODE_OPTIONS as deployed (the packaged template), so the timing includes e.g. source maps. */
function nodeOptions(name: string): string {
  const template = JSON.parse(readFileSync(join(root, '.serverless', 'cloudformation-template-update-stack.json'), 'utf8'));
  const fn = Object.values(
    template.Resources as Record<string, { Type: string; Properties: { Handler?: string; Environment?: { Variables?: Record<string, unknown> } } }>,
  ).find((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Handler === `functions/${name}.handler`);
  const value = fn?.Properties.Environment?.Variables?.NODE_OPTIONS;
  return typeof value === 'string' ? value : '';
}

function importMs(handler: string, options: string): number {
  const script = `const t = process.hrtime.bigint(); await import(${JSON.stringify(pathToFileURL(handler).href)}); process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: dirname(handler),
    encoding: 'utf8',
    // As in /var/task: nothing of this repo's environment, no package.json or node_modules above it.
    env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: options, AWS_REGION: 'us-east-1', POWERTOOLS_LOG_LEVEL: 'SILENT' },
  });
  if (run.status !== 0) throw new Error(`importing ${handler} failed: ${run.stderr.trim()}`);
  return Number(run.stdout);
}

/**
 * Issue #7's cold-start figures: package every function (osls, offline), unzip each outside the
 * repo as Lambda does into /var/task, and report the zip, what a cold start parses (the handler
 * and its static chunks), what loads on demand, and the median time a fresh node takes to import
 * the handler (Lambda's init phase runs this import before the first invocation).
 */
export function benchColdStart(): BundleFigures[] {
  console.log(`\n== cold start: each Lambda bundle, imported in a fresh node process (median of ${RUNS}) ==`);
  const pkg = spawnSync(process.execPath, [join(root, 'scripts/package.mjs')], { cwd: root, encoding: 'utf8', timeout: 300_000 });
  if (pkg.status !== 0) {
    console.log(`  (skipped: npm run package failed: ${pkg.stderr.trim().split('\n').at(-1)})`);
    return [];
  }
  const figures: BundleFigures[] = [];
  for (const zip of readdirSync(join(root, '.serverless'))
    .filter((f) => f.endsWith('.zip'))
    .sort()) {
    const name = zip.replace(/\.zip$/, '');
    const dir = mkdtempSync(join(tmpdir(), `rw-cold-${name}-`));
    try {
      if (spawnSync('unzip', ['-q', join(root, '.serverless', zip), '-d', dir]).status !== 0) throw new Error(`cannot unzip ${zip} (is unzip installed?)`);
      const handler = join(dir, 'functions', `${name}.js`);
      const init = staticClosure(handler);
      const all = readdirSync(dir, { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.js'))
        .map((f) => join(dir, f));
      const size = (files: Iterable<string>) => [...files].reduce((sum, f) => sum + statSync(f).size, 0);
      const options = nodeOptions(name);
      figures.push({
        name,
        zipBytes: statSync(join(root, '.serverless', zip)).size,
        initBytes: size(init),
        lazyBytes: size(all.filter((f) => !init.has(f))),
        importMs: median(Array.from({ length: RUNS }, () => importMs(handler, options))),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const mb = (bytes: number) => (bytes / 1e6).toFixed(2);
  printTable([
    ['function', 'zip MB', 'parsed at start MB', 'on demand MB', 'import ms', `goal (< ${GOAL_BYTES / 1e6} MB, < ${GOAL_MS} ms)`],
    ...figures.map((f) => [
      f.name,
      mb(f.zipBytes),
      mb(f.initBytes),
      mb(f.lazyBytes),
      f.importMs.toFixed(0),
      f.initBytes < GOAL_BYTES && f.importMs < GOAL_MS ? 'met' : 'NOT met',
    ]),
  ]);
  console.log(`  node ${process.version}, each function's NODE_OPTIONS from the packaged template; Lambda's own runtime start comes on top`);
  return figures;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) benchColdStart();
