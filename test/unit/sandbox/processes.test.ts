import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { claimPort, isOurs, processState, releasePorts } from '../../../src/sandbox/processes';

const CLAIMS = join(tmpdir(), 'replwatch-sandbox-ports');
const claimsOf = (dir: string) => readdirSync(CLAIMS).filter((n) => readFileSync(join(CLAIMS, n), 'utf8') === dir);
const dirs: string[] = [];
const sandboxDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'rw-claims-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) {
    releasePorts(d);
    rmSync(d, { recursive: true, force: true });
  }
});

describe('port claims between sandboxes', () => {
  it('never hands two sandboxes the same port, and gives a sandbox its ports back on release', async () => {
    const [a, b] = [sandboxDir(), sandboxDir()];
    const ports = await Promise.all([claimPort(a), claimPort(a), claimPort(b), claimPort(b)]);
    expect(new Set(ports).size).toBe(4);
    expect(claimsOf(a).map(Number).sort()).toEqual([ports[0], ports[1]].sort());
    releasePorts(a);
    expect(claimsOf(a)).toEqual([]);
    expect(claimsOf(b)).toHaveLength(2);
  });
});

describe('processes the sandbox owns', () => {
  it('tells running, stopped (SIGSTOP) and gone apart, and never takes a recycled pid for ours', async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'replwatch-mark-123'], { stdio: 'ignore' });
    const exited = new Promise((r) => child.once('exit', r));
    const p = { pid: child.pid!, mark: 'replwatch-mark-123' };
    try {
      expect(isOurs(p)).toBe(true);
      expect(isOurs({ ...p, mark: 'another-sandbox' })).toBe(false);
      expect(processState(p)).toBe('running');
      process.kill(p.pid, 'SIGSTOP');
      await expect.poll(() => processState(p)).toBe('stopped');
      process.kill(p.pid, 'SIGCONT');
      await expect.poll(() => processState(p)).toBe('running');
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    expect(processState(p)).toBe('gone');
  });
});
