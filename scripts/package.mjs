#!/usr/bin/env node
// Packages the Lambda functions offline: `osls package --stage local` (no AWS credentials, no
// network). Removes .esbuild/ and .serverless/ first, since stale files there end up in the zips.
// Extra arguments go to osls, e.g. `node scripts/package.mjs --stage prod --region eu-west-1`.
// Exits with osls's exit code and prints the size of each zip.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const out = join(root, '.serverless');

for (const dir of ['.esbuild', '.serverless']) rmSync(join(root, dir), { recursive: true, force: true });

if (!existsSync(join(root, 'replwatch.yml'))) {
  console.error('replwatch: note: no replwatch.yml at the repo root, so the zips carry no config (REPLWATCH_CONFIG)');
}

const args = process.argv.slice(2);
if (!args.some((a) => a === '--stage' || a.startsWith('--stage=') || a === '-s')) args.unshift('--stage', 'local');

// osls from this project's node_modules, run by this very node (v22 under `npm run`).
const osls = createRequire(import.meta.url).resolve('osls/bin/serverless.js');
const started = Date.now();
const run = spawnSync(process.execPath, [osls, 'package', ...args], {
  cwd: root,
  stdio: 'inherit',
  timeout: 300_000,
});
const seconds = ((Date.now() - started) / 1000).toFixed(1);

if (run.error) {
  console.error(`replwatch: could not run osls: ${run.error.message}`);
  process.exit(1);
}
const code = run.status ?? 1;
if (code !== 0) {
  console.error(`replwatch: osls package failed (exit ${code}${run.signal ? `, ${run.signal}` : ''}) after ${seconds}s`);
  process.exit(code);
}

const zips = existsSync(out)
  ? readdirSync(out)
      .filter((f) => f.endsWith('.zip'))
      .sort()
  : [];
console.log(`replwatch: packaged in ${seconds}s`);
for (const zip of zips) {
  const bytes = statSync(join(out, zip)).size;
  console.log(`  ${zip.padEnd(28)} ${(bytes / 1024 / 1024).toFixed(2).padStart(6)} MB  (${bytes} bytes)`);
}
if (zips.length === 0) {
  console.error('replwatch: osls reported success but wrote no zip to .serverless/');
  process.exit(1);
}
process.exit(0);
