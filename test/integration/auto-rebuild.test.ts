import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxState } from '../../src/sandbox/sandbox';
import { sql, startSandbox, stopSandbox, waitFor } from '../support/sandbox';

let sb: SandboxState;
let watcher: ChildProcess;
let pagesFile: string;
let stderr = '';

const pages = (): Array<{ kind: string; code: string; target: string }> =>
  existsSync(pagesFile)
    ? readFileSync(pagesFile, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    : [];

async function breakR1(id: number): Promise<void> {
  await sql(sb, 'sandbox-r1', `SET sql_log_bin=0; INSERT INTO app.accounts VALUES (${id}, 'r1 only', 0); SET sql_log_bin=1`);
  await sql(sb, 'sandbox-primary', `INSERT INTO app.accounts VALUES (${id}, 'primary', 0)`);
}

beforeAll(async () => {
  sb = await startSandbox();
  pagesFile = join(sb.dir, 'pages.jsonl');
  const doc = parse(readFileSync(sb.configFile, 'utf8'));
  Object.assign(doc.clusters[0], { autoRebuild: true, autoRebuildCooldownMinutes: 30 });
  const config = join(sb.dir, 'auto.yml');
  writeFileSync(config, JSON.stringify(doc));
  watcher = spawn(
    process.execPath,
    [
      join(import.meta.dirname, '../../bin/replwatch.mjs'),
      'watch',
      '--config',
      config,
      '--every',
      '1s',
      '--state',
      join(sb.dir, 'state.json'),
      '--pages',
      pagesFile,
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  watcher.stderr!.on('data', (d) => (stderr += d));
});
afterAll(async () => {
  watcher?.kill('SIGINT');
  await new Promise((r) => watcher.once('exit', r));
  await stopSandbox(sb);
});

describe('autoRebuild under replwatch watch', () => {
  it('rebuilds a broken replica by itself, once, and then leaves the next break to a person (cool-down)', async () => {
    await breakR1(60);
    await waitFor('the auto-rebuild to finish', async () => stderr.includes('auto-rebuild of sandbox-r1 done'), 30_000);
    await waitFor('the resolve page', async () => pages().some((p) => p.kind === 'resolved' && p.code === 'ReplicationBroken'), 15_000);
    expect(stderr).toContain('auto-rebuild of sandbox-r1 (cluster sandbox) started');
    expect(stderr).toMatch(/auto-rebuild of sandbox-r1 done \(logical\) in [\d.]+ s, \d+ table checksums equal/);

    await breakR1(61);
    await waitFor('the second firing page', async () => pages().filter((p) => p.kind === 'firing' && p.code === 'ReplicationBroken').length === 2, 15_000);
    await waitFor(
      'the cool-down notice',
      async () => stderr.includes('auto-rebuild of sandbox-r1 skipped: sandbox was auto-rebuilt less than 30 min ago'),
      5000,
    );
    expect(stderr.match(/auto-rebuild of sandbox-r1 \(cluster sandbox\) started/g)).toHaveLength(1);
  });
});
