import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { parse } from 'yaml';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxState } from '../../src/sandbox/sandbox';
import { FileStore } from '../../src/state/file';
import { checkJson, cli } from '../support/cli';
import { sql, startSandbox, stopSandbox, waitFor } from '../support/sandbox';

let sb: SandboxState;
let state: string;
const ROWS = 200_000;
/** Short, so that a run killed or stopped is known dead within seconds. */
const LEASE = '4s';
const bin = join(import.meta.dirname, '../../bin/replwatch.mjs');

const rebuildArgs = (replica: string) => [
  'runbook',
  'rebuild-replica',
  '--config',
  sb.configFile,
  '--cluster',
  'sandbox',
  '--replica',
  replica,
  '--state',
  state,
  '--workers',
  '1',
  '--lease',
  LEASE,
];
const replicaState = async (replica: string) =>
  (await checkJson(sb.configFile)).report.observations.find((o) => o.target === replica) as { ioRunning: boolean; sqlRunning: boolean };
const lockOf = () => new FileStore(state).readLock('rebuild/sandbox');

/** A rebuild in a process of its own, its JSON events as they come. */
function spawnRebuild(args: string[]): { child: ChildProcess; events: Array<Record<string, unknown>>; stderr: () => string; exit: Promise<number> } {
  const child = spawn(process.execPath, [bin, ...args, '--json']);
  const events: Array<Record<string, unknown>> = [];
  let buffer = '';
  let stderr = '';
  child.stdout!.on('data', (d) => {
    buffer += d;
    const lines = buffer.split('\n');
    buffer = lines.pop()!;
    for (const line of lines) events.push(JSON.parse(line));
  });
  child.stderr!.on('data', (d) => (stderr += d));
  return { child, events, stderr: () => stderr, exit: new Promise((r) => child.on('exit', (code, signal) => r(code ?? (signal ? -1 : 0)))) };
}

/** Runs a command exactly as replwatch printed it, through a shell, from another directory (replwatch is installed on PATH: test/support/installed.ts). */
function runPrinted(command: string) {
  return spawnSync('sh', ['-c', command], { cwd: '/', encoding: 'utf8', timeout: 120_000 });
}

beforeAll(async () => {
  sb = await startSandbox();
  const dir = mkdtempSync(join(tmpdir(), 'rw-resume-'));
  state = join(dir, 'state.json');
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
  it('killed mid-copy: dead at once (its pid on this host is gone, though its lease was live), paged by the monitor as one incident, and resumed as the page says', async () => {
    // kill -9 once the first big table is done and the second is being copied.
    const run = spawnRebuild([...rebuildArgs('sandbox-r1'), '--execute', '--force']);
    await waitFor('the copy of big2', async () => run.events.some((e) => e.table === '`app`.`big2`' && Number(e.rows) >= 20_000), 30_000);
    run.child.kill('SIGKILL');
    await run.exit;
    expect(run.events.some((e) => e.step === 'verify checksums')).toBe(false);

    const cp = (await lockOf())?.checkpoint as { replica: string; schemaDone: boolean; tablesDone: string[]; step: string };
    expect(cp).toMatchObject({ replica: 'sandbox-r1', schemaDone: true, step: 'copy rows' });
    expect(cp.tablesDone).toContain('`app`.`big1`');
    expect(cp.tablesDone).not.toContain('`app`.`big2`');

    // Its lease is still live, but its run was on this host and its pid is gone: dead at once, not "running".
    const early = await cli(...rebuildArgs('sandbox-r1'), '--execute');
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(
      new RegExp(
        `a rebuild of sandbox-r1 in cluster sandbox is dead: it stopped at "copy rows" .*; its process \\(pid ${run.child.pid} on this host\\) is gone, so its lease was ended at once\\); continue it with .* --execute --workers 1 --lease 4s --resume`,
      ),
    );
    expect(early.stderr).not.toContain('is running');
    await waitFor('the lease to lapse', async () => Date.parse((await lockOf())!.expiresAt) <= Date.now(), 10_000);
    const dead = await cli(...rebuildArgs('sandbox-r1'), '--execute');
    expect(dead.code).toBe(1);
    expect(dead.stderr).toContain(`is dead: it stopped at "copy rows" with ${cp.tablesDone.length} table(s) copied, and its lease lapsed at`);
    expect(dead.stderr).toContain(
      `continue it with replwatch runbook rebuild-replica --cluster sandbox --replica sandbox-r1 --config ${sb.configFile} --state ${state} --execute --workers 1 --lease 4s --resume, or start over with`,
    );

    // Its plan says so too: what to run is the --resume, with the flags the plan was given.
    const planned = await cli(...rebuildArgs('sandbox-r1'), '--workers', '2');
    expect(planned.stdout).toContain('warning: a rebuild of sandbox-r1 stopped unfinished (');
    expect(planned.stdout).toContain(
      `To run it: replwatch runbook rebuild-replica --cluster sandbox --replica sandbox-r1 --config ${sb.configFile} --state ${state} --execute --workers 2 --lease 4s --resume`,
    );

    // The monitor pages the unfinished rebuild, with its resume command, and not the stopped replica it left.
    const pagesFile = join(sb.dir, 'resume-pages.jsonl');
    const watch = await cli('watch', '--config', sb.configFile, '--state', state, '--pages', pagesFile, '--every', '300ms', '--samples', '3');
    expect(watch.code).toBe(0);
    const pages = readFileSync(pagesFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; code: string; target: string; text: string });
    expect(pages.map((p) => [p.kind, p.code, p.target])).toEqual([['firing', 'RebuildFailed', 'sandbox-r1']]);
    expect(pages[0]!.text).toContain('rebuild of sandbox-r1 stopped unfinished at "copy rows"');
    const fix = pages[0]!.text
      .split('\n')
      .find((l) => l.startsWith('Fix: '))!
      .slice('Fix: '.length);
    expect(fix).toBe(
      `replwatch runbook rebuild-replica --cluster sandbox --replica sandbox-r1 --config ${sb.configFile} --state ${state} --execute --workers 1 --lease 4s --resume`,
    );

    // A one-shot check says the same: the unfinished rebuild, not START SLAVE for what it left.
    const checked = await cli('check', '--config', sb.configFile, '--state', state, '--json');
    expect(checked.code).toBe(2);
    const onR1 = (
      JSON.parse(checked.stdout) as { findings: Array<{ code: string; target: string; runbook?: string; details: { absorbed?: Array<{ code: string }> } }> }
    ).findings.filter((f) => f.target === 'sandbox-r1');
    expect(onR1.map((f) => f.code)).toEqual(['RebuildFailed']);
    expect(onR1[0]!.runbook).toBe(fix);
    expect(onR1[0]!.details.absorbed?.map((a) => a.code)).toContain('ReplicationStopped');

    // On-call runs it as printed, from wherever they are.
    const resumed = runPrinted(`${fix} --workers 1 --json`);
    expect(resumed.status).toBe(0);
    const events = resumed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events.filter((e) => e.status === 'done').map((e) => e.step)).toContain('recreate unfinished tables');
    const { result } = events.at(-1);
    // big1 was not copied again.
    expect(result.rowsCopied).toBeLessThan(ROWS + 10);
    expect(result.checksums.every((c: { match: boolean }) => c.match)).toBe(true);
    expect(result.checksums.map((c: { table: string }) => c.table)).toEqual(['`app`.`accounts`', '`app`.`big1`', '`app`.`big2`', '`percona`.`heartbeat`']);
    expect(await lockOf()).toBeUndefined();
    // ... which resolves the incident: one page when it fired, one when it is over.
    expect(resumed.stderr).toContain('PAGE [RESOLVED] RebuildFailed sandbox/sandbox-r1');
    // The monitor's --pages file and its terminal (the watch ran in this test's process, which still
    // runs), which took the FIRING, are owed the RESOLVED: the monitor's next sample delivers it.
    const owed = [...(await new FileStore(state).loadAlerts()).values()].map((a) => a.undelivered);
    expect(owed).toMatchObject([{ kind: 'resolved' }]);
    expect([...owed[0]!.sinks].sort()).toEqual([`console:${hostname()}:${process.pid}`, `jsonl:${pagesFile}`].sort());
    expect((await cli('watch', '--config', sb.configFile, '--state', state, '--pages', pagesFile, '--every', '300ms', '--samples', '1')).code).toBe(0);
    const after = readFileSync(pagesFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; code: string; target: string });
    expect(after.map((p) => [p.kind, p.code, p.target])).toEqual([
      ['firing', 'RebuildFailed', 'sandbox-r1'],
      ['resolved', 'RebuildFailed', 'sandbox-r1'],
    ]);
    expect(await new FileStore(state).loadAlerts()).toEqual(new Map());
    const { report } = await checkJson(sb.configFile);
    expect(report.findings.filter((f) => f.target === 'sandbox-r1')).toEqual([]);
    const [mode] = (await sql(sb, 'sandbox-r1', 'SELECT @@slave_exec_mode AS m')) as Array<{ m: string }>;
    expect(mode!.m).toBe('STRICT');
  });

  it('two at once: a live rebuild is never taken over, and a run that lost its lease stops without touching the replica', async () => {
    const first = spawnRebuild([...rebuildArgs('sandbox-r2'), '--execute', '--force']);
    await waitFor('the first run to copy', async () => first.events.some((e) => e.status === 'progress' && Number(e.doneRows) >= 10_000), 30_000);
    const owner = (await lockOf())!.owner;
    const second = await cli(...rebuildArgs('sandbox-r2'), '--execute', '--resume');
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`a rebuild of sandbox-r2 in cluster sandbox is running (${owner}, started`);
    expect((await lockOf())!.owner).toBe(owner);

    // The first run stalls (SIGSTOP) past its lease: then the lock may be taken, and is. Not
    // while it holds the state file's own lock for a write: that one is waited out for 10 s, a
    // stall of another kind than the lease this test is about.
    for (;;) {
      first.child.kill('SIGSTOP');
      if (!existsSync(`${state}.lock`)) break;
      first.child.kill('SIGCONT');
      await new Promise((r) => setTimeout(r, 20));
    }
    try {
      await waitFor('the lease to lapse', async () => Date.parse((await lockOf())!.expiresAt) < Date.now(), 10_000);
      const takeover = await cli(...rebuildArgs('sandbox-r2'), '--execute', '--resume', '--json');
      expect(takeover.code, takeover.stderr).toBe(0);
      expect(JSON.parse(takeover.stdout.trim().split('\n').at(-1)!).result.checksums.every((c: { match: boolean }) => c.match)).toBe(true);
    } finally {
      first.child.kill('SIGCONT');
    }
    // Back, the first run finds its lease gone: it stops at once, and neither copies into the
    // rebuilt replica nor "cleans up" (stops) it.
    expect(await first.exit).toBe(2);
    expect(first.stderr()).toMatch(/^replwatch: stopped at once: .*; sandbox-r2 was left as it is, without cleanup: it is that run's now\n$/);
    expect(first.events.some((e) => e.status === 'done' && e.step === 'copy rows')).toBe(false);
    expect(await replicaState('sandbox-r2')).toMatchObject({ ioRunning: true, sqlRunning: true });
    expect((await checkJson(sb.configFile)).report.findings.filter((f) => f.target === 'sandbox-r2')).toEqual([]);
    expect(await lockOf()).toBeUndefined();
  });

  it('that fails is left stopped, read_only, flagged with why, paged once however often the monitor looks, and resumable once the cause is fixed', async () => {
    const doc = parse(readFileSync(sb.configFile, 'utf8'));
    const alerts = { snsTopicArn: 'arn:aws:sns:us-east-1:123456789012:replwatch-pages' };
    const bad = join(sb.dir, 'bad-repl.yml');
    writeFileSync(bad, JSON.stringify({ clusters: [{ ...doc.clusters[0], replication: { user: 'nobody', password: 'wrong' } }], alerts }));
    const { PublishCommand, SNSClient } = await import('@aws-sdk/client-sns');
    const { mockClient } = await import('aws-sdk-client-mock');
    const sns = mockClient(SNSClient);
    sns.on(PublishCommand).resolves({ MessageId: 'm' });
    process.env.AWS_REGION = 'us-east-1';
    try {
      const args = ['runbook', 'rebuild-replica', '--config', bad, '--cluster', 'sandbox', '--replica', 'sandbox-r2', '--state', state];
      const failed = await cli(...args, '--execute', '--force');
      expect(failed.code).toBe(2);
      expect(failed.stderr).toMatch(/replwatch: rebuild failed at "catch up": .*Access denied.*; the replica is left stopped and read_only\n/);
      expect(failed.stderr).toContain(
        `replwatch: fix the cause, then continue it with: replwatch runbook rebuild-replica --cluster sandbox --replica sandbox-r2 --config ${bad} --state ${state} --execute --resume\n`,
      );
      expect(failed.stderr).toContain('replwatch: paged the failure');
      const subjects = () => sns.commandCalls(PublishCommand).map((c) => c.args[0].input.Subject);
      expect(subjects()).toEqual(['[CRITICAL] RebuildFailed sandbox/sandbox-r2']);
      expect(JSON.parse(sns.commandCalls(PublishCommand)[0]!.args[0].input.Message!).email).toContain('--execute --resume');
      const [r2] = (await sql(sb, 'sandbox-r2', 'SELECT @@read_only AS ro')) as Array<{ ro: number }>;
      expect(Number(r2!.ro)).toBe(1);
      expect(await replicaState('sandbox-r2')).toMatchObject({ ioRunning: false, sqlRunning: false });
      // Dead, not running: its lease ended with the run.
      const lock = await lockOf();
      expect(lock?.checkpoint).toMatchObject({ replica: 'sandbox-r2', failure: { step: 'catch up' } });
      expect(Date.parse(lock!.expiresAt)).toBeLessThanOrEqual(Date.now());

      // The monitor finds the same dead rebuild: it continues that alert (SNS, told already, is not
      // paged again), tells its own page file, which never heard of it, once, and holds the stopped
      // replica's own findings.
      const failPages = join(sb.dir, 'fail-pages.jsonl');
      const watch = await cli('watch', '--config', bad, '--state', state, '--pages', failPages, '--every', '300ms', '--samples', '3');
      expect(watch.code).toBe(0);
      expect(subjects()).toEqual(['[CRITICAL] RebuildFailed sandbox/sandbox-r2']);
      const told = readFileSync(failPages, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { kind: string; code: string; target: string });
      expect(told.map((p) => [p.kind, p.code, p.target])).toEqual([['firing', 'RebuildFailed', 'sandbox-r2']]);

      // Failing again while its alert fires: not paged again, and it says so (not an empty "not delivered: ").
      const again = await cli(...args, '--execute', '--resume');
      expect(again.code).toBe(2);
      expect(again.stderr).toMatch(
        /replwatch: the failure was not paged: its alert RebuildFailed\|sandbox\|sandbox-r2 was already firing \(since \S+, last paged \S+: [^\n]+\), so it was not paged again; it repeats while it fires\n/,
      );
      expect(again.stderr).not.toContain('not delivered');
      expect(subjects()).toEqual(['[CRITICAL] RebuildFailed sandbox/sandbox-r2']);

      // The cause fixed: the replication account that the replica should use.
      const good = join(sb.dir, 'good-repl.yml');
      writeFileSync(good, JSON.stringify({ clusters: [{ ...doc.clusters[0], replication: { user: 'repl', password: sb.password } }], alerts }));
      const fixed = await cli(
        'runbook',
        'rebuild-replica',
        '--config',
        good,
        '--cluster',
        'sandbox',
        '--replica',
        'sandbox-r2',
        '--state',
        state,
        '--execute',
        '--resume',
      );
      expect(fixed.code).toBe(0);
      expect(fixed.stdout).toMatch(/rebuilt sandbox-r2 in [\d.]+ s: 0 rows/);
      expect(subjects()).toEqual(['[CRITICAL] RebuildFailed sandbox/sandbox-r2', '[RESOLVED] RebuildFailed sandbox/sandbox-r2']);
      expect((await checkJson(sb.configFile)).report.findings.filter((f) => f.target === 'sandbox-r2')).toEqual([]);
    } finally {
      sns.restore();
    }
  });

  it('interrupted (Ctrl-C) mid-copy: fails at once, left stopped and read_only, recorded, paged and printed with its --resume, its lease ended', async () => {
    const run = spawnRebuild([...rebuildArgs('sandbox-r1'), '--execute', '--force']);
    await waitFor('the copy of big2', async () => run.events.some((e) => e.table === '`app`.`big2`' && Number(e.rows) >= 20_000), 30_000);
    run.child.kill('SIGINT');
    expect(await run.exit).toBe(2);
    expect(run.stderr()).toContain('replwatch: SIGINT: stopping the rebuild at its next statement');
    expect(run.stderr()).toMatch(/rebuild failed at "copy rows": interrupted by SIGINT; the replica is left stopped and read_only/);
    expect(run.stderr()).toContain(`--replica sandbox-r1 --config ${sb.configFile} --state ${state} --execute --workers 1 --lease 4s --resume`);
    expect(run.stderr()).toContain('PAGE [CRITICAL] RebuildFailed sandbox/sandbox-r1');
    const lock = await lockOf();
    expect(lock?.checkpoint).toMatchObject({ replica: 'sandbox-r1', failure: { step: 'copy rows', message: 'interrupted by SIGINT' } });
    expect(Date.parse(lock!.expiresAt)).toBeLessThanOrEqual(Date.now());
    const [r1] = (await sql(sb, 'sandbox-r1', 'SELECT @@read_only AS ro')) as Array<{ ro: number }>;
    expect(Number(r1!.ro)).toBe(1);
    expect(await replicaState('sandbox-r1')).toMatchObject({ ioRunning: false, sqlRunning: false });
    // Its incident stays open while a resume runs (held, not resolved), and ends when it finishes.
    const resume = spawnRebuild([...rebuildArgs('sandbox-r1'), '--execute', '--resume']);
    await waitFor('the resumed copy', async () => resume.events.some((e) => e.step === 'copy rows' && e.status === 'start'), 30_000);
    const pagesFile = join(sb.dir, 'interrupted-pages.jsonl');
    const watch = await cli('watch', '--config', sb.configFile, '--state', state, '--pages', pagesFile, '--every', '300ms', '--samples', '2');
    expect(watch.code).toBe(0);
    expect(resume.child.exitCode).toBeNull();
    expect(existsSync(pagesFile)).toBe(false);
    expect((await new FileStore(state).loadAlerts()).get('RebuildFailed|sandbox|sandbox-r1')).toMatchObject({ status: 'firing' });
    expect(await resume.exit).toBe(0);
    expect(resume.stderr()).toContain('PAGE [RESOLVED] RebuildFailed sandbox/sandbox-r1');
    expect(await lockOf()).toBeUndefined();
  });

  it('starts over instead of replaying when the binlogs are not row-based, and the plan says so', async () => {
    await sql(sb, 'sandbox-primary', "DROP TABLE app.big1, app.big2; SET GLOBAL binlog_format = 'MIXED'");
    try {
      const plan = await cli(...rebuildArgs('sandbox-r1'));
      expect(plan.stdout).toContain(
        'warning: an interrupted run cannot resume by replaying from its first snapshot: binlog_format is MIXED on sandbox-primary, and IDEMPOTENT replay needs row events; a --resume starts the copy over',
      );
      // A dead rebuild of r1 that had copied app.accounts.
      const store = new FileStore(state);
      const past = new Date(Date.now() - 60_000);
      const [{ p }] = (await sql(sb, 'sandbox-primary', 'SELECT @@gtid_binlog_pos AS p')) as [{ p: string }];
      await store.acquireLock('rebuild/sandbox', 'crashed', past, new Date(past.getTime() - 1000));
      await store.updateLock(
        'rebuild/sandbox',
        'crashed',
        { v: 2, replica: 'sandbox-r1', position: p, schemaDone: true, tablesDone: ['`app`.`accounts`'] },
        new Date(past.getTime() - 500),
      );
      const resumed = await cli(...rebuildArgs('sandbox-r1'), '--execute', '--resume', '--force', '--json');
      expect(resumed.code).toBe(0);
      const events = resumed.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(events.find((e) => e.step === 'resume')).toMatchObject({
        status: 'done',
        detail: expect.stringContaining('starting over: binlog_format is MIXED on sandbox-primary'),
      });
      expect(events.filter((e) => e.status === 'done').map((e) => e.step)).toContain('recreate schema');
      expect(events.at(-1).result.checksums.map((c: { table: string }) => c.table)).toEqual(['`app`.`accounts`', '`percona`.`heartbeat`']);
      expect(events.at(-1).result.rowsCopied).toBeGreaterThanOrEqual(4);
    } finally {
      await sql(sb, 'sandbox-primary', "SET GLOBAL binlog_format = 'ROW'");
    }
  });
});
