import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load';
import { MemcacheChecker } from '../../src/monitor/memcache';
import { restartMemcached, type SandboxState } from '../../src/sandbox/sandbox';
import { cliProcess } from '../support/cli';
import { startSandbox, stopSandbox } from '../support/sandbox';

let sb: SandboxState;
let checker: MemcacheChecker;
const TIMEOUT = 500;

const node = (name: string) => sb.memcached.find((m) => m.name === name)!;
const target = (name: string) => `127.0.0.1:${node(name).port}`;

beforeAll(async () => {
  sb = await startSandbox();
  const config = parseConfig(
    JSON.stringify({ memcache: [{ name: 'sessions', nodes: sb.memcached.map((m) => `127.0.0.1:${m.port}`), timeoutMs: TIMEOUT }] }),
    'test.json',
  );
  checker = new MemcacheChecker(config);
});
afterAll(async () => {
  checker.close();
  await stopSandbox(sb);
});

describe('memcache checks on real memcached nodes', () => {
  it('reports both nodes reachable, with version, uptime and a canary round trip', async () => {
    const { findings, observations } = await checker.sample();
    expect(findings).toEqual([]);
    expect(observations.map((o) => o.target)).toEqual([target('sessions-a'), target('sessions-b')]);
    for (const o of observations) {
      expect(o).toMatchObject({ kind: 'memcache', pool: 'sessions', reachable: true, version: '1.6.18' });
      expect(o.roundTripMs).toBeGreaterThan(0);
    }
  });

  it('catches a hung (SIGSTOPped) node within its timeout + 1 s, the other node clean, and recovers on SIGCONT', async () => {
    process.kill(node('sessions-a').pid, 'SIGSTOP');
    try {
      const started = Date.now();
      const { findings } = await checker.sample();
      expect(Date.now() - started).toBeLessThan(TIMEOUT + 1000);
      expect(findings.map((f) => [f.code, f.target])).toEqual([['MemcacheUnreachable', target('sessions-a')]]);
      expect(findings[0]!.summary).toContain(`no reply within ${TIMEOUT} ms`);
      // A fresh connection to a stopped node is accepted by the kernel and still never answered.
      const again = await checker.sample();
      expect(again.findings.map((f) => f.code)).toEqual(['MemcacheUnreachable']);
    } finally {
      process.kill(node('sessions-a').pid, 'SIGCONT');
    }
    expect((await checker.sample()).findings).toEqual([]);
  });

  it('catches a killed node (connection refused), and a restart as a cold cache once it is back', async () => {
    process.kill(node('sessions-b').pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
    const down = await checker.sample();
    expect(down.findings.map((f) => [f.code, f.target])).toEqual([['MemcacheUnreachable', target('sessions-b')]]);
    expect(down.findings[0]!.summary).toContain('ECONNREFUSED');

    await restartMemcached(sb, 'sessions-b');
    const back = await checker.sample();
    expect(back.findings).toEqual([]);
    await restartMemcached(sb, 'sessions-b');
    const restarted = await checker.sample();
    expect(restarted.findings.map((f) => [f.code, f.target])).toEqual([['MemcacheDegraded', target('sessions-b')]]);
    expect(restarted.findings[0]!.summary).toMatch(/restarted \(pid \d+ -> \d+, uptime \d+ s, was \d+ s\): the cache is cold/);
  });
});

describe('a node listed more than once', () => {
  it('in two pools, is probed for each pool on a connection of its own: both clean', async () => {
    // One shared session took one pool's request and failed the other's as "already in flight".
    const twice = new MemcacheChecker(
      parseConfig(JSON.stringify({ memcache: ['sessions', 'all'].map((name) => ({ name, nodes: [target('sessions-a')], timeoutMs: TIMEOUT })) }), 'two.json'),
    );
    try {
      for (let i = 0; i < 3; i++) {
        const { findings, observations } = await twice.sample();
        expect(findings).toEqual([]);
        expect(observations.map((o) => [o.pool, o.target, o.reachable])).toEqual([
          ['sessions', target('sessions-a'), true],
          ['all', target('sessions-a'), true],
        ]);
      }
    } finally {
      twice.close();
    }
  });

  it('`check` exits promptly either way: clean for two pools, 3 for one pool listing it twice', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-memcache-'));
    const write = (name: string, pools: Array<{ name: string; nodes: string[] }>) => {
      const file = join(dir, name);
      writeFileSync(file, `memcache:\n${pools.map((p) => `  - name: ${p.name}\n    nodes: ${JSON.stringify(p.nodes)}\n`).join('')}`);
      return file;
    };
    const node = target('sessions-a');
    const started = Date.now();
    const two = cliProcess(
      [
        'check',
        '--config',
        write('two.yml', [
          { name: 'sessions', nodes: [node] },
          { name: 'all', nodes: [node] },
        ]),
        '--json',
      ],
      {},
      20_000,
    );
    expect(two.code).toBe(0);
    expect((JSON.parse(two.stdout) as { observations: unknown[] }).observations).toHaveLength(2);

    const dupFile = write('dup.yml', [{ name: 'sessions', nodes: [node, node] }]);
    const dup = cliProcess(['check', '--config', dupFile, '--json'], {}, 20_000);
    expect(dup.code).toBe(3);
    expect(dup.stdout).toBe('');
    expect(dup.stderr).toContain(`${dupFile}:3: memcache[0].nodes[1]: ${node} is listed twice in this pool; got "${node}"`);
    // Each process starts in ~1 s; one left waiting on an orphaned socket never exits at all.
    expect(Date.now() - started).toBeLessThan(15_000);
  }, 45_000);
});

describe('ElastiCache auto discovery', () => {
  it('probes the nodes a configuration endpoint lists (a stand-in answering `config get cluster`)', async () => {
    // AWS is the one thing replaced: this endpoint answers as ElastiCache's does, listing the
    // sandbox's real memcached nodes, which are then probed for real.
    const { createServer } = await import('node:net');
    const payload = `7\n${sb.memcached.map((m) => `node-${m.name}.cache.local|127.0.0.1|${m.port}`).join(' ')}\n`;
    const endpoint = createServer((socket) =>
      socket.on('data', (d) => {
        if (d.toString().startsWith('config get cluster')) socket.write(`CONFIG cluster 0 ${Buffer.byteLength(payload)}\r\n${payload}\r\nEND\r\n`);
        else socket.write('ERROR\r\n');
      }),
    );
    await new Promise<void>((r) => endpoint.listen(0, '127.0.0.1', r));
    const port = (endpoint.address() as { port: number }).port;
    const discovering = new MemcacheChecker(
      parseConfig(JSON.stringify({ memcache: [{ name: 'ec', configEndpoint: `127.0.0.1:${port}`, timeoutMs: TIMEOUT }] }), 'ec.json'),
    );
    try {
      const { findings, observations } = await discovering.sample();
      expect(findings).toEqual([]);
      expect(observations.map((o) => [o.target, o.reachable])).toEqual(sb.memcached.map((m) => [`node-${m.name}.cache.local:${m.port}`, true]));
      endpoint.close();
      discovering.close();
      const lost = await discovering.sample();
      expect(lost.findings.map((f) => [f.code, f.target])).toEqual([['MemcacheUnreachable', `127.0.0.1:${port}`]]);
    } finally {
      discovering.close();
      endpoint.close();
    }
  });
});
