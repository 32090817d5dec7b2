import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, printTable } from './peers';

const RUNS = 7;

/**
 * Issue #7's cold-start figures: package every function (osls, offline), then for each zip its
 * size, its handler bundle's size, and the time a fresh Node process takes to load the handler
 * (median of 7), as Lambda's init phase does before the first invocation.
 */
export function benchColdStart(): void {
  console.log('\n== cold start: each Lambda bundle, loaded in a fresh node process ==');
  const root = join(import.meta.dirname, '..');
  const pkg = spawnSync(process.execPath, [join(root, 'scripts/package.mjs')], { cwd: root, encoding: 'utf8', timeout: 300_000 });
  if (pkg.status !== 0) {
    console.log(`  (skipped: npm run package failed: ${pkg.stderr.trim().split('\n').at(-1)})`);
    return;
  }
  const rows = [['function', 'zip MB', 'handler MB', 'load ms (median)', 'goal']];
  for (const zip of readdirSync(join(root, '.serverless')).filter((f) => f.endsWith('.zip'))) {
    const name = zip.replace(/\.zip$/, '');
    const dir = mkdtempSync(join(tmpdir(), `rw-cold-${name}-`));
    try {
      if (spawnSync('unzip', ['-q', join(root, '.serverless', zip), '-d', dir]).status !== 0) throw new Error(`cannot unzip ${zip} (is unzip installed?)`);
      const handler = join(dir, 'functions', `${name}.cjs`);
      const load = `const t = process.hrtime.bigint(); require(${JSON.stringify(handler)}); process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));`;
      const times = Array.from({ length: RUNS }, () => Number(spawnSync(process.execPath, ['-e', load], { cwd: dir, encoding: 'utf8', env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'SILENT' } }).stdout));
      const mb = (bytes: number) => (bytes / 1e6).toFixed(2);
      const ms = median(times);
      const handlerBytes = statSync(handler).size;
      rows.push([name, mb(statSync(join(root, '.serverless', zip)).size), mb(handlerBytes), ms.toFixed(0), handlerBytes < 1e6 && ms < 150 ? 'met' : 'not met (< 1 MB, < 150 ms)']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  printTable(rows);
}
