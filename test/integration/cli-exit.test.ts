import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { netnsUnsupported } from '../../src/sandbox/netns';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'replwatch.mjs');
const dir = mkdtempSync(join(tmpdir(), 'rw-cli-exit-'));
const configFile = (name: string, yaml: string) => {
  const file = join(dir, name);
  writeFileSync(file, yaml);
  return file;
};
/** Starting node and tsx takes about a second, up to three on a loaded machine. */
const STARTUP_MARGIN_MS = 8000;

interface Report {
  findings: Array<{ code: string; target: string }>;
  observations: unknown[];
}

// A host that drops every SYN: a network namespace whose own address is firewalled, so the
// kernel retries each SYN for about two minutes unless the socket is closed. Root only.
describe.skipIf(netnsUnsupported() !== undefined)('`check` against a blackholed host', () => {
  const ns = `rw-bh-${randomBytes(3).toString('hex')}`;
  const addr = `198.18.${randomInt(0, 256)}.${randomInt(1, 255)}`;
  beforeAll(() => {
    execFileSync('ip', ['netns', 'add', ns]);
    execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    execFileSync('ip', ['-n', ns, 'addr', 'add', `${addr}/32`, 'dev', 'lo']);
    execFileSync('ip', ['netns', 'exec', ns, 'iptables', '-A', 'OUTPUT', '-d', addr, '-p', 'tcp', '-j', 'DROP']);
  });
  afterAll(() => execFileSync('ip', ['netns', 'del', ns]));

  it('reports it unreachable and exits within its timeouts plus start-up, not when the kernel gives up', () => {
    const file = configFile(
      'blackhole.yml',
      `network:\n  - { name: bh, targets: ["${addr}:9"], probes: 20, timeoutMs: 300 }\nmemcache:\n  - { name: bh, nodes: ["${addr}:11211"], timeoutMs: 300 }\n`,
    );
    const started = Date.now();
    const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, bin, 'check', '--config', file, '--json'], { encoding: 'utf8', timeout: 60_000 });
    const elapsed = Date.now() - started;
    expect(r.status).toBe(2);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.findings.map((f) => [f.code, f.target]).sort()).toEqual([
      ['HostUnreachable', `${addr}:9`],
      ['MemcacheUnreachable', `${addr}:11211`],
    ]);
    // Before, each timed-out handshake was reset only once connected, which never came: the
    // process lived on until the kernel gave up its SYN retries (135 s measured).
    expect(elapsed).toBeLessThan(2 * 300 + STARTUP_MARGIN_MS);
  }, 70_000);
});

describe('the replwatch process', () => {
  it('exits with its answer even when a stray handle would keep node alive', () => {
    const file = configFile('refused.yml', 'network:\n  - { name: local, targets: ["127.0.0.1:9"], probes: 5, timeoutMs: 300 }\n');
    // A preloaded interval stands for any socket or timer some probe forgot to close.
    const stray = 'data:text/javascript,setInterval(() => {}, 60_000)';
    const started = Date.now();
    const r = spawnSync(process.execPath, ['--import', stray, bin, 'check', '--config', file, '--json'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(0);
    expect((JSON.parse(r.stdout) as Report).observations).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(300 + STARTUP_MARGIN_MS);
  }, 40_000);

  it('writes the whole --json document to a pipe whose reader is slow, before it exits', async () => {
    const targets = Array.from({ length: 2000 }, (_, i) => `"127.0.0.1:${40_000 + i}"`).join(', ');
    const file = configFile('many.yml', `network:\n  - name: many\n    targets: [${targets}]\n    probes: 1\n    timeoutMs: 300\n`);
    const child = spawn(process.execPath, [bin, 'check', '--config', file, '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    // The document is written in one go; once it has begun, nothing more is read until the
    // process has had its chance to exit. Far more than a pipe holds (64 KiB) is unwritten then,
    // and an exit that does not wait for it loses it.
    await new Promise((r) => child.stdout.once('readable', r));
    await Promise.race([exited, new Promise((r) => setTimeout(r, 1000))]);
    const chunks: Buffer[] = [];
    for await (const chunk of child.stdout) chunks.push(chunk as Buffer);
    expect(await exited).toBe(0);
    const text = Buffer.concat(chunks).toString('utf8');
    expect(text.length).toBeGreaterThan(256 * 1024);
    expect((JSON.parse(text) as Report).observations).toHaveLength(2000);
  }, 60_000);

  it('exits with its answer, and no stack trace, when the reader of its output goes away (| head -c 10, | true)', () => {
    const file = configFile('down.yml', 'network:\n  - { name: local, targets: ["127.0.0.1:9"], probes: 5, timeoutMs: 300 }\n');
    // `true` exits before anything is written: every write meets a closed pipe (EPIPE).
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${bin}" check --config "${file}" --json | true; exit \${PIPESTATUS[0]}`], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.stderr).toBe('');
    // Loss to a refusing port is none (the handshake is answered): healthy.
    expect(r.status).toBe(0);
    const broken = spawnSync('bash', ['-c', `"${process.execPath}" "${bin}" check --config "${join(dir, 'missing.yml')}" | true; exit \${PIPESTATUS[0]}`], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(broken.status).toBe(3);
  }, 40_000);

  it('stops watching once the reader of its lines goes away (watch | head -1), as SIGPIPE would', () => {
    const file = configFile('watched.yml', 'network:\n  - { name: local, targets: ["127.0.0.1:9"], probes: 2, timeoutMs: 300 }\n');
    const state = join(dir, 'watch-state.json');
    const pages = join(dir, 'watch-pages.jsonl');
    const r = spawnSync(
      'bash',
      ['-c', `"${process.execPath}" "${bin}" watch --config "${file}" --every 250ms --state "${state}" --pages "${pages}" | head -1; exit \${PIPESTATUS[0]}`],
      { encoding: 'utf8', timeout: 30_000 },
    );
    // Without the stop, watch samples until the spawn's timeout kills it (status null).
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/sample 1: 0 critical, 0 warning/);
    expect(r.stderr).toBe('');
  }, 40_000);

  it('under an older node on PATH (the launcher runs the pinned one): kill -9 of the launcher takes the child with it', async () => {
    const older = ['/usr/bin/node', '/usr/local/bin/node'].find(
      (n) => spawnSync(n, ['-e', 'process.exit(Number(process.versions.node.split(".")[0]) < 22 ? 0 : 1)']).status === 0,
    );
    if (!older) return; // this machine has no older node: the launcher never re-executes
    const file = configFile('killed.yml', 'network:\n  - { name: local, targets: ["127.0.0.1:9"], probes: 2, timeoutMs: 300 }\n');
    const launcher = spawn(
      older,
      [bin, 'watch', '--config', file, '--every', '250ms', '--state', join(dir, 'killed-state.json'), '--pages', join(dir, 'killed-pages.jsonl')],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    // The first sample line comes from the child: it is running.
    await new Promise<void>((r) => launcher.stdout!.once('data', () => r()));
    const children = () =>
      execFileSync('ps', ['-o', 'pid=', '--ppid', String(launcher.pid)], { encoding: 'utf8' })
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .map(Number);
    const [child] = children();
    expect(child).toBeGreaterThan(0);
    launcher.kill('SIGKILL');
    const alive = () => {
      try {
        process.kill(child!, 0);
        return true;
      } catch {
        return false;
      }
    };
    for (const end = Date.now() + 5000; alive() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 100));
    expect(alive()).toBe(false);
  }, 40_000);
});
