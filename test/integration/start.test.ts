import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { netnsUnsupported } from '../../src/sandbox/netns';
import { waitFor } from '../support/sandbox';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'replwatch.mjs');

describe("npm start (replwatch start): the main job of README.md's two commands", () => {
  it('watches the sandbox healthy, and the faults it offers break, page and heal as printed, run from another directory; Ctrl-C removes everything', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'rw-start-')), 'sandbox');
    const child = spawn(process.execPath, [bin, 'start', '--dir', dir, '--every', '500ms'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      await waitFor('three samples', async () => / sample 3: /.test(out), 60_000);
      for (const line of out.split('\n').filter((l) => / sample \d+: /.test(l))) expect(line).toMatch(/: 0 critical, 0 warning, 0 paged/);
      const lines = out.split('\n');
      // Each fault: its command on one line, then "-> CODE TARGET (...); heal: COMMAND".
      const faults = new Map(
        lines.flatMap((l, i) => {
          const m = /^ {6}-> (\S+ \S+).*; heal: (.+)$/.exec(lines[i + 1] ?? '');
          return m ? [[m[1]!, { break: l.trim(), heal: m[2]! }] as const] : [];
        }),
      );
      expect(out).toMatch(/Check once: replwatch check --config \S+replwatch\.yml/);
      expect(out).toMatch(/replwatch gameday --report drill\.html/);
      const elsewhere = mkdtempSync(join(tmpdir(), 'rw-elsewhere-'));
      const run = (command: string) => {
        const r = spawnSync('bash', ['-c', command], { cwd: elsewhere, encoding: 'utf8', timeout: 60_000 });
        expect(r.status, `${command}: ${r.stderr}`).toBe(0);
        return r.stdout;
      };
      const pages = (subject: string) => out.split('\n').filter((l) => l.includes(` PAGE ${subject}`)).length;
      const drill = async (fault: string, subject: string) => {
        const f = faults.get(fault);
        expect(f, `the start screen offers ${fault}: ${[...faults.keys()].join(', ')}`).toBeDefined();
        run(f!.break);
        await waitFor(`${fault} to page`, async () => pages(`[CRITICAL] ${subject}`) + pages(`[WARNING] ${subject}`) === 1, 20_000);
        const healed = run(f!.heal);
        await waitFor(`${fault} to resolve`, async () => pages(`[RESOLVED] ${subject}`) === 1, 20_000);
        return healed;
      };
      const hostInput = () => execFileSync('iptables', ['-S', 'INPUT'], { encoding: 'utf8' });
      const before = netnsUnsupported() ? '' : hostInput();

      await drill('ReplicationStopped sandbox-r1', 'ReplicationStopped sandbox/sandbox-r1');
      await drill('ReplicaUnreachable sandbox-r2', 'ReplicaUnreachable sandbox/sandbox-r2');
      const memcached = [...faults.keys()].filter((k) => k.startsWith('MemcacheUnreachable '));
      expect(memcached).toHaveLength(2);
      // The second is the killed one: it comes back with `sandbox restart`, which says what it did.
      const restarted = await drill(memcached[1]!, `MemcacheUnreachable sessions/${memcached[1]!.split(' ')[1]}`);
      expect(restarted).toMatch(/^sessions-b was not running; restarted: pid \d+, port \d+\n$/);
      if (!netnsUnsupported()) {
        const loss = [...faults.keys()].find((k) => k.startsWith('PacketLoss '))!;
        await drill(loss, `PacketLoss sandbox-hosts/${loss.split(' ')[1]}`);
        // Healing flushed the namespace's chain, not this host's.
        expect(hostInput()).toBe(before);
      }
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited, err).toBe(0);
    expect(err).toContain('sandbox stopped and removed');
    expect(existsSync(dir)).toBe(false);
  }, 180_000);
});
