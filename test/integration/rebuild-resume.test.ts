import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { parse } from 'yaml';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxState } from '../../src/gameday/sandbox/sandbox';
import { FileStore } from '../../src/state/file';
import { checkJson, cli } from '../support/cli';
import { sql, startSandbox, stopSandbox } from '../support/sandbox';

let sb: SandboxState;
let state: string;
const ROWS = 200_000;

beforeAll(async () => {
  sb = await startSandbox();
  state = join(mkdtempSync(join(tmpdir(), 'rw-resume-')), 'state.json');
  await sql(
    sb,
    'sandbox-primary',
    `USE app;
     CREATE TABLE big1 (id INT PRIMARY KEY, v VARCHAR(200));
     CREATE TABLE big2 (id INT PRIMARY KEY, v VARCHAR(200));
     INSERT INTO big1 SELECT seq, REPEAT('a', 150) FROM seq_1_to_${ROWS};
     INSERT INTO big2 SELECT seq, REPEAT('b', 100) FROM seq_1_to_${ROWS};`,
  );
}, 120_000);
afterAll(async () => {
  await stopSandbox(sb);
});

describe('an interrupted rebuild', () => {
  it('killed mid-copy, resumes where it stopped and ends in the same verified state', async () => {
    const args = ['runbook', 'rebuild-replica', '--config', sb.configFile, '--cluster', 'sandbox', '--replica', 'sandbox-r1', '--state', state, '--workers', '1'];
    // Kill -9 once the first big table is done and the second is being copied.
    const killed = await new Promise<string[]>((resolve) => {
      const child = spawn(process.execPath, [join(import.meta.dirname, '../../bin/replwatch.mjs'), ...args, '--execute', '--json']);
      const seen: string[] = [];
      let buffer = '';
      child.stdout.on('data', (d) => {
        buffer += d;
        const lines = buffer.split('\n');
        buffer = lines.pop()!;
        for (const line of lines) {
          const e = JSON.parse(line) as { table?: string; rows?: number };
          seen.push(line);
          if (e.table === 'app.big2' && (e.rows ?? 0) >= 20_000) child.kill('SIGKILL');
        }
      });
      child.on('exit', () => resolve(seen));
    });
    expect(killed.some((l) => l.includes('"table":"app.big2"'))).toBe(true);
    expect(killed.some((l) => l.includes('"step":"verify checksums"'))).toBe(false);

    const lock = await new FileStore(state).readLock('rebuild/sandbox');
    const cp = lock?.checkpoint as { replica: string; schemaDone: boolean; tablesDone: string[] };
    expect(cp).toMatchObject({ replica: 'sandbox-r1', schemaDone: true });
    expect(cp.tablesDone).toContain('app.big1');
    expect(cp.tablesDone).not.toContain('app.big2');

    const again = await cli(...args, '--execute');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`stopped unfinished (${cp.tablesDone.length} table(s) copied); continue it with --resume`);

    const resumed = await cli(...args, '--execute', '--resume', '--json');
    expect(resumed.code).toBe(0);
    const events = resumed.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(events.filter((e) => e.status === 'done').map((e) => e.step)).toContain('recreate unfinished tables');
    const { result } = events.at(-1);
    // big1 was not copied again.
    expect(result.rowsCopied).toBeLessThan(ROWS + 10);
    expect(result.checksums.every((c: { match: boolean }) => c.match)).toBe(true);
    expect(result.checksums.map((c: { table: string }) => c.table)).toEqual(['app.accounts', 'app.big1', 'app.big2', 'percona.heartbeat']);
    expect(await new FileStore(state).readLock('rebuild/sandbox')).toBeUndefined();
    const { report } = await checkJson(sb.configFile);
    expect(report.findings.filter((f) => f.target === 'sandbox-r1')).toEqual([]);
    const [mode] = (await sql(sb, 'sandbox-r1', 'SELECT @@slave_exec_mode AS m')) as Array<{ m: string }>;
    expect(mode!.m).toBe('STRICT');
  });

  it('that fails is left stopped, read_only, flagged with why, and resumable once the cause is fixed', async () => {
    const doc = parse(readFileSync(sb.configFile, 'utf8'));
    const bad = join(sb.dir, 'bad-repl.yml');
    writeFileSync(
      bad,
      JSON.stringify({ clusters: [{ ...doc.clusters[0], replication: { user: 'nobody', password: 'wrong' } }], alerts: { snsTopicArn: 'arn:aws:sns:us-east-1:123456789012:replwatch-pages' } }),
    );
    const { PublishCommand, SNSClient } = await import('@aws-sdk/client-sns');
    const { mockClient } = await import('aws-sdk-client-mock');
    const sns = mockClient(SNSClient);
    sns.on(PublishCommand).resolves({ MessageId: 'm' });
    process.env.AWS_REGION = 'us-east-1';
    const args = ['runbook', 'rebuild-replica', '--config', bad, '--cluster', 'sandbox', '--replica', 'sandbox-r2', '--state', state];
    const failed = await cli(...args, '--execute');
    expect(failed.code).toBe(2);
    expect(failed.stderr).toMatch(/rebuild failed at "catch up": .*Access denied.*; the replica is left stopped and read_only; continue with --resume/);
    // ... and pages it, with the way on.
    expect(failed.stderr).toContain('replwatch: paged the failure');
    const page = sns.commandCalls(PublishCommand)[0]!.args[0].input;
    expect(page.Subject).toBe('[CRITICAL] RebuildFailed sandbox/sandbox-r2');
    expect(JSON.parse(page.Message!).email).toContain('--execute --resume');
    sns.restore();
    const [r2] = (await sql(sb, 'sandbox-r2', 'SELECT @@read_only AS ro')) as Array<{ ro: number }>;
    expect(Number(r2!.ro)).toBe(1);
    const { report } = await checkJson(sb.configFile);
    expect(report.observations.find((o) => o.target === 'sandbox-r2')).toMatchObject({ ioRunning: false, sqlRunning: false });
    const lock = await new FileStore(state).readLock('rebuild/sandbox');
    expect(lock?.checkpoint).toMatchObject({ replica: 'sandbox-r2', failure: { step: 'catch up' } });

    // The cause fixed: the replication account that the replica should use.
    const good = join(sb.dir, 'good-repl.yml');
    writeFileSync(good, JSON.stringify({ clusters: [{ ...doc.clusters[0], replication: { user: 'repl', password: sb.password } }] }));
    const fixed = await cli('runbook', 'rebuild-replica', '--config', good, '--cluster', 'sandbox', '--replica', 'sandbox-r2', '--state', state, '--execute', '--resume');
    expect(fixed.code).toBe(0);
    expect(fixed.stdout).toMatch(/rebuilt sandbox-r2 in [\d.]+ s: 0 rows/);
    expect((await checkJson(sb.configFile)).report.findings.filter((f) => f.target === 'sandbox-r2')).toEqual([]);
  });
});
