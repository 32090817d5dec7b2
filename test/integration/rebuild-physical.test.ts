import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restartServer, sandboxDown, sandboxUp, stopServer, type SandboxState } from '../../src/sandbox/sandbox';
import { PHYSICAL_STEPS } from '../../src/runbooks/physical/plan';
import { FileStore } from '../../src/state/file';
import { cli } from '../support/cli';
import { physicalChecks } from '../support/physical';
import { sql, waitFor } from '../support/sandbox';

let sb: SandboxState;
let state: string;
const ROWS = 300_000;
const bin = join(import.meta.dirname, '../../bin/replwatch.mjs');
const rebuild = (replica: string, ...extra: string[]) =>
  cli('runbook', 'rebuild-replica', '--config', sb.configFile, '--state', state, '--cluster', 'sandbox', '--replica', replica, ...extra);

const { identicalToPrimary, replicating, primaryUntouched, breakReplica, seed } = physicalChecks(() => sb);

beforeAll(async () => {
  sb = await sandboxUp({ dir: mkdtempSync(join(tmpdir(), 'replwatch-test-')), ownerPid: process.pid, agents: true });
  state = join(mkdtempSync(join(tmpdir(), 'rw-physical-')), 'state.json');
  await seed(ROWS);
}, 180_000);
afterAll(async () => {
  if (sb) await sandboxDown(sb.dir);
});

describe('a physical rebuild through the local agent', () => {
  it('rebuilds a broken replica from its data files: identical, replicating, read_only, the primary untouched, the old datadir gone once it verified', async () => {
    await breakReplica('sandbox-r1', 1);
    const plan = await rebuild('sandbox-r1');
    expect(plan.stdout).toContain('Strategy: physical (auto: sandbox-r1 and its donor have agents (local)');
    expect(plan.stdout).toContain('Plan: rebuild sandbox-r1 of cluster sandbox physically from sandbox-r2');
    const run = await rebuild('sandbox-r1', '--execute', '--json');
    expect(run.code, run.stderr).toBe(0);
    const events = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events.filter((e) => e.status === 'done').map((e) => e.step)).toEqual([...PHYSICAL_STEPS]);
    expect(events.filter((e) => e.status === 'progress').at(-1)).toMatchObject({ step: 'stream backup', etaSeconds: 0 });
    expect(events.at(-1).result.checksums.every((c: { match: boolean }) => c.match)).toBe(true);
    await replicating('sandbox-r1');
    await identicalToPrimary('sandbox-r1');
    await primaryUntouched();
    const r1 = sb.servers.find((s) => s.name === 'sandbox-r1')!;
    expect(existsSync(`${r1.datadir}.replwatch-old`)).toBe(false);
    expect(existsSync(`${r1.datadir}.replwatch-new`)).toBe(false);
    expect(await new FileStore(state).readLock('rebuild/sandbox')).toBeUndefined();
  });

  it('killed -9 mid-stream, then --resume: goes on from its last finished step and ends identical too', async () => {
    await breakReplica('sandbox-r2', 2);
    const child = spawn(process.execPath, [
      bin,
      'runbook',
      'rebuild-replica',
      '--config',
      sb.configFile,
      '--state',
      state,
      '--cluster',
      'sandbox',
      '--replica',
      'sandbox-r2',
      '--donor',
      'sandbox-primary',
      '--execute',
      '--json',
    ]);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    await waitFor('the stream to start', async () => out.includes('"step":"stream backup","status":"start"'), 60_000);
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    const cp = (await new FileStore(state).readLock('rebuild/sandbox'))!.checkpoint as { step: string; physical: { done: string[] } };
    expect(cp.step).toBe('stream backup');
    expect(cp.physical.done).toEqual(['check space', 'stop replication', 'stop server']);

    const again = await rebuild('sandbox-r2', '--execute');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('--strategy physical --execute --donor sandbox-primary --resume');
    const resumed = await rebuild('sandbox-r2', '--execute', '--resume', '--json');
    expect(resumed.code, resumed.stderr).toBe(0);
    const skipped = resumed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((e) => e.status === 'skipped')
      .map((e) => e.step);
    expect(skipped).toEqual(['check space', 'stop replication', 'stop server']);
    await replicating('sandbox-r2');
    await identicalToPrimary('sandbox-r2');
    await primaryUntouched();
  });

  it('refuses a replica whose disk cannot hold the copy beside its datadir, before anything stops', async () => {
    // sandbox-r2's datadir seen through a bind mount inside a 16 MB tmpfs: the copy goes beside it there.
    const r2 = sb.servers.find((s) => s.name === 'sandbox-r2')!;
    const small = join(sb.dir, 'small');
    mkdirSync(small);
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=16M', 'tmpfs', small]).status !== 0) {
      console.warn('skipped: mounting a tmpfs needs root (CI runs as root)');
      return;
    }
    const real = `${r2.datadir}.real`;
    await stopServer(sb, 'sandbox-r2');
    try {
      renameSync(r2.datadir, real);
      mkdirSync(join(small, 'data'));
      expect(spawnSync('mount', ['--bind', real, join(small, 'data')]).status).toBe(0);
      symlinkSync(join(small, 'data'), r2.datadir);
      await restartServer(sb, 'sandbox-r2');
      await waitFor(
        'sandbox-r2 to replicate',
        async () => ((await sql(sb, 'sandbox-r2', 'SHOW SLAVE STATUS')) as Array<{ Slave_SQL_Running: string }>)[0]!.Slave_SQL_Running === 'Yes',
        20_000,
      );

      const plan = await rebuild('sandbox-r2', '--strategy', 'physical', '--donor', 'sandbox-primary');
      expect(plan.code).toBe(1);
      expect(plan.stderr).toMatch(
        /refused: sandbox-r2 has \d+\.\d MB free beside .*small\/data, and a copy of sandbox-primary's data needs \d+\.\d MB .*nothing was changed/,
      );
      const run = await rebuild('sandbox-r2', '--strategy', 'physical', '--donor', 'sandbox-primary', '--execute', '--force');
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('nothing was changed');
      await replicating('sandbox-r2');
      expect(await new FileStore(state).readLock('rebuild/sandbox')).toBeUndefined();
    } finally {
      await stopServer(sb, 'sandbox-r2');
      rmSync(r2.datadir, { force: true });
      spawnSync('umount', [join(small, 'data')]);
      spawnSync('umount', [small]);
      if (existsSync(real)) renameSync(real, r2.datadir);
      await restartServer(sb, 'sandbox-r2');
    }
  });
});
