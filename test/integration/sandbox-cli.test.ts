import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAlive } from '../../src/sandbox/processes';
import { readState, restartServer, sandboxStatus } from '../../src/sandbox/sandbox';
import { cliProcess } from '../support/cli';
import { waitFor } from '../support/sandbox';

const root = join(import.meta.dirname, '..', '..');
const pidsOf = (s: Awaited<ReturnType<typeof sandboxStatus>>) => s.parts.map((p) => p.pid);

describe('replwatch sandbox up | status | down', () => {
  it('starts every part, reports them, and stops and removes them all (--json on each)', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'rw-sbcli-')), 'sb');
    const up = cliProcess(['sandbox', 'up', '--dir', dir, '--json'], {}, 60_000);
    expect(up.code, up.stderr).toBe(0);
    expect(JSON.parse(up.stdout)).not.toHaveProperty('password');
    const status = JSON.parse(cliProcess(['sandbox', 'status', '--dir', dir, '--json']).stdout) as Awaited<ReturnType<typeof sandboxStatus>>;
    expect(status.up).toBe(true);
    expect(status.parts.filter((p) => p.kind === 'mariadb')).toHaveLength(3);
    // A second `up` over it: one line saying how to stop it, exit 3, the running one untouched.
    const again = cliProcess(['sandbox', 'up', '--dir', dir]);
    expect(again.code).toBe(3);
    expect(again.stderr).toMatch(new RegExp(`^replwatch: a sandbox is already running in ${dir}; stop it first: replwatch sandbox down --dir ${dir}\n$`));
    expect(pidsOf(status).every(isAlive)).toBe(true);
    // `sandbox restart NAME` brings back a stopped (or killed) part, and says what it found.
    const r1 = status.parts.find((p) => p.name === 'sandbox-r1')!;
    process.kill(r1.pid, 'SIGSTOP');
    const restarted = cliProcess(['sandbox', 'restart', 'sandbox-r1', '--dir', dir]);
    expect(restarted.stdout).toMatch(/^sandbox-r1 was stopped \(SIGSTOP\); restarted: pid \d+, port \d+\n$/);
    const after = JSON.parse(cliProcess(['sandbox', 'status', '--dir', dir, '--json']).stdout) as Awaited<ReturnType<typeof sandboxStatus>>;
    expect(after.up).toBe(true);
    expect(after.parts.find((p) => p.name === 'sandbox-r1')!.pid).not.toBe(r1.pid);
    const unknown = cliProcess(['sandbox', 'restart', 'sandbox-r9', '--dir', dir]);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toBe(
      `replwatch: no sandbox part sandbox-r9 in ${dir}; its parts: sandbox-primary, sandbox-r1, sandbox-r2, sessions-a, sessions-b\n`,
    );
    const down = cliProcess(['sandbox', 'down', '--dir', dir, '--json']);
    expect(JSON.parse(down.stdout)).toEqual({ dir, stopped: true });
    expect([...pidsOf(status), ...pidsOf(after)].filter(isAlive)).toEqual([]);
    expect(existsSync(dir)).toBe(false);
    expect(JSON.parse(cliProcess(['sandbox', 'down', '--dir', dir, '--json']).stdout)).toEqual({ dir, stopped: false });
  }, 90_000);

  it('kill -9 of its owner (npm start) leaves nothing behind, including a server a drill restarted', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'rw-sbreap-')), 'sb');
    const owner = spawn(process.execPath, [join(root, 'bin/replwatch.mjs'), 'start', '--dir', dir, '--every', '1s'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    owner.stdout.on('data', (d: Buffer) => (out += d.toString()));
    // Watching means sandboxUp has finished: restarting a server before that fails its start.
    await waitFor('npm start to watch its sandbox', async () => out.includes(' sample 1: '), 60_000);
    const state = (await readState(dir))!;
    const before = state.servers[1]!.pid;
    const restarted = await restartServer(state, state.servers[1]!.name);
    expect(restarted.pid).not.toBe(before);
    const pids = pidsOf(await sandboxStatus(dir));
    expect(pids).toContain(restarted.pid);
    owner.kill('SIGKILL');
    const survivors = () => pids.filter(isAlive).map((p) => `${p} ${readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').join(' ')}`);
    await waitFor('the reaper to stop every part', async () => survivors().length === 0, 20_000).catch((e: Error) => {
      throw new Error(`${e.message}; still running: ${survivors().join('; ')}`);
    });
    await waitFor('the reaper to remove the directory', async () => !existsSync(dir), 10_000);
  }, 120_000);
});
