import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parse } from 'yaml';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxState } from '../../src/sandbox/sandbox';
import { sql, startSandbox, stopSandbox, waitFor } from '../support/sandbox';

let sb: SandboxState;
let watcher: ChildProcess;
let pagesFile: string;
let stderr = '';
let stdout = '';
let config: string;

interface PageLine {
  text: string;
  kind: string;
  key: string;
  subject: string;
  at: string;
}
const pages = (): PageLine[] =>
  existsSync(pagesFile)
    ? readFileSync(pagesFile, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as PageLine)
    : [];

beforeAll(async () => {
  sb = await startSandbox();
  pagesFile = join(sb.dir, 'pages.jsonl');
  // autoPlan: a page that calls for a rebuild carries the plan, run by the monitor (reads only).
  const doc = parse(readFileSync(sb.configFile, 'utf8'));
  doc.clusters[0].autoPlan = true;
  config = join(sb.dir, 'autoplan.yml');
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
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  watcher.stdout!.on('data', (d) => (stdout += d));
  watcher.stderr!.on('data', (d) => (stderr += d));
  // A healthy baseline first: the watcher has taken a few samples.
  await waitFor('the watcher to sample three times', async () => (stdout.match(/ sample \d+: /g) ?? []).length >= 3, 15_000);
});
afterAll(async () => {
  watcher?.kill('SIGINT');
  await new Promise((r) => watcher.once('exit', r));
  await stopSandbox(sb);
});

describe('replwatch watch --every 1s on the sandbox', () => {
  it('sends no page while the topology is healthy', () => {
    expect(stderr).toBe('');
    expect(stdout).toMatch(/sample 3: 0 critical, 0 warning, 0 paged, 0 held/);
    expect(pages()).toEqual([]);
  });

  it('pages a broken replica exactly once within 3 s, and its resolve exactly once', async () => {
    await sql(sb, 'sandbox-r1', "SET sql_log_bin=0; INSERT INTO app.accounts VALUES (70, 'r1 only', 0); SET sql_log_bin=1");
    const broke = Date.now();
    await sql(sb, 'sandbox-primary', "INSERT INTO app.accounts VALUES (70, 'primary', 0)");
    await waitFor('a firing page', async () => pages().some((p) => p.kind === 'firing'), 10_000);
    const detected = Date.now() - broke;
    expect(detected).toBeLessThan(3000);
    expect(pages().map((p) => [p.kind, p.subject])).toEqual([['firing', '[CRITICAL] ReplicationBroken sandbox/sandbox-r1']]);
    const text = pages()[0]!.text;
    // The fix reaches the watcher's config and state by itself: it runs as printed, from anywhere.
    const fix = /^Fix: (.+)$/m.exec(text)![1]!;
    expect(fix).toBe(`replwatch runbook rebuild-replica --cluster sandbox --replica sandbox-r1 --config ${config} --state ${join(sb.dir, 'state.json')}`);
    const planned = spawnSync(process.execPath, [join(import.meta.dirname, '../../bin/replwatch.mjs'), ...fix.split(' ').slice(1)], {
      cwd: tmpdir(),
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(planned.stderr).toBe('');
    expect(planned.status).toBe(0);
    expect(planned.stdout).toContain('Plan: rebuild sandbox-r1 of cluster sandbox from sandbox-primary');
    expect(text).toContain('Plan: rebuild sandbox-r1 of cluster sandbox from sandbox-primary (reads only; nothing was changed)');
    // The plan's command reaches the watcher's config and state from any directory.
    expect(text).toContain(
      `To run it: replwatch runbook rebuild-replica --cluster sandbox --replica sandbox-r1 --config ${config} --state ${join(sb.dir, 'state.json')} --execute`,
    );

    await sql(sb, 'sandbox-r1', 'SET sql_log_bin=0; DELETE FROM app.accounts WHERE id = 70; SET sql_log_bin=1; START SLAVE');
    await waitFor('a resolved page', async () => pages().some((p) => p.kind === 'resolved'), 15_000);
    await new Promise((r) => setTimeout(r, 2500)); // nothing more may follow
    expect(pages().map((p) => [p.kind, p.key])).toEqual([
      ['firing', 'ReplicationBroken|sandbox|sandbox-r1'],
      ['resolved', 'ReplicationBroken|sandbox|sandbox-r1'],
    ]);
  });
});
