import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../../src/config/load';
import { MemcacheSessions, probeMemcacheNode } from '../../../../src/probes/memcache/probe';

const settle = () => new Promise((r) => setTimeout(r, 50));

describe('probes leave no socket behind', () => {
  describe('memcache sessions', () => {
    let server: Server;
    let port = 0;
    const accepted: Socket[] = [];
    beforeAll(async () => {
      server = createServer((s) => accepted.push(s));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      port = (server.address() as { port: number }).port;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it('two probes of one node at once share one connection, and closeAll closes it', async () => {
      const sessions = new MemcacheSessions();
      const node = { name: `127.0.0.1:${port}`, address: '127.0.0.1', port, timeoutMs: 1000 };
      const [a, b] = await Promise.all([sessions.get(node), sessions.get(node)]);
      expect(a).toBe(b);
      await settle();
      expect(accepted).toHaveLength(1);
      sessions.closeAll();
      await settle();
      expect(accepted[0]!.readableEnded || accepted[0]!.destroyed).toBe(true);
    });
  });

  it('a "node" whose stats reply never ends is unreachable with the reason, not a growing buffer', async () => {
    const flood = createServer((socket) => {
      socket.on('data', (d) => {
        if (d.toString().startsWith('version')) socket.write('VERSION 1.6.0\r\n');
        else {
          const pump = () => {
            while (socket.writable && socket.write(`${'STAT filler '.padEnd(1000, 'x')}\r\n`));
            if (socket.writable) socket.once('drain', pump);
          };
          pump();
        }
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((r) => flood.listen(0, '127.0.0.1', r));
    const port = (flood.address() as { port: number }).port;
    const sessions = new MemcacheSessions();
    try {
      const reading = await probeMemcacheNode(sessions, { pool: 'p', name: `127.0.0.1:${port}`, address: '127.0.0.1', port, timeoutMs: 5000 });
      expect(reading).toMatchObject({ reachable: false });
      expect(JSON.stringify(reading)).toContain('256 KiB');
    } finally {
      sessions.closeAll();
      await new Promise<void>((r) => flood.close(() => r()));
    }
  });

  it('a pool that lists a node twice is a config error naming the file, line, path and node', () => {
    const yml = 'memcache:\n  - name: sessions\n    nodes: ["127.0.0.1:11211", "127.0.0.1:11211"]\n';
    expect(() => parseConfig(yml, 'dup.yml')).toThrow(/dup\.yml:3.*memcache\[0\]\.nodes\[1\].*127\.0\.0\.1:11211 is listed twice/s);
  });
});
