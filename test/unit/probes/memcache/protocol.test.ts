import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeStats, parseClusterConfig, parseReply, ProtocolError, type ReplyShape } from '../../../../src/probes/memcache/protocol';

// Captured from memcached 1.6.18 (Debian 12), trimmed to the lines the probe reads plus a few others.
const STATS = [
  'STAT pid 8120',
  'STAT uptime 3651',
  'STAT time 1795350000',
  'STAT version 1.6.18',
  'STAT libevent 2.1.12-stable',
  'STAT curr_connections 2',
  'STAT total_connections 7',
  'STAT rejected_connections 0',
  'STAT connection_structures 3',
  'STAT cmd_get 12',
  'STAT get_hits 11',
  'STAT listen_disabled_num 0',
  'STAT bytes 1024',
  'STAT limit_maxbytes 16777216',
  'STAT evictions 5',
  'END',
  '',
].join('\r\n');

// ElastiCache (Memcached 1.6) `config get cluster`, in the shape its documentation shows.
const CLUSTER_PAYLOAD =
  '12\nmyCluster.pc4ldq.0001.use1.cache.amazonaws.com|10.82.235.120|11211 myCluster.pc4ldq.0002.use1.cache.amazonaws.com|10.80.249.27|11211\n';
const CLUSTER = `CONFIG cluster 0 ${Buffer.byteLength(CLUSTER_PAYLOAD)}\r\n${CLUSTER_PAYLOAD}\r\nEND\r\n`;

describe('parseReply', () => {
  it('reads stats into the numbers the health rules use', () => {
    const parsed = parseReply(Buffer.from(STATS), 'stats')!;
    expect(parsed.used).toBe(Buffer.byteLength(STATS));
    expect(parsed.reply.kind).toBe('stats');
    if (parsed.reply.kind !== 'stats') return;
    expect(nodeStats(parsed.reply.stats)).toEqual({
      version: '1.6.18',
      pid: 8120,
      uptime: 3651,
      currConnections: 2,
      evictions: 5,
      listenDisabledNum: 0,
      limitMaxbytes: 16777216,
      bytes: 1024,
    });
  });

  it('reads values with binary-safe data, several per reply', () => {
    const data = Buffer.concat([Buffer.from('VALUE k1 0 4\r\n'), Buffer.from([0, 13, 10, 255]), Buffer.from('\r\nVALUE k2 7 2 99\r\nhi\r\nEND\r\n')]);
    const parsed = parseReply(data, 'values')!;
    expect(parsed.used).toBe(data.length);
    expect(parsed.reply).toEqual({
      kind: 'values',
      values: [
        { key: 'k1', flags: 0, data: Buffer.from([0, 13, 10, 255]) },
        { key: 'k2', flags: 7, data: Buffer.from('hi') },
      ],
    });
    expect(parseReply(Buffer.from('END\r\n'), 'values')!.reply).toEqual({ kind: 'values', values: [] });
  });

  it('returns error replies as errors whatever shape was expected', () => {
    for (const shape of ['line', 'stats', 'values'] as ReplyShape[]) {
      expect(parseReply(Buffer.from('SERVER_ERROR out of memory storing object\r\n'), shape)!.reply).toEqual({
        kind: 'error',
        message: 'SERVER_ERROR out of memory storing object',
      });
      expect(parseReply(Buffer.from('ERROR\r\n'), shape)!.reply.kind).toBe('error');
    }
  });

  it('waits for the rest of a reply split anywhere, then leaves what follows', () => {
    const whole = Buffer.from(`${STATS}STORED\r\n`);
    for (let cut = 0; cut < Buffer.byteLength(STATS); cut++) expect(parseReply(whole.subarray(0, cut), 'stats')).toBeUndefined();
    expect(parseReply(whole, 'stats')!.used).toBe(Buffer.byteLength(STATS));
  });

  it('rejects what cannot be a reply', () => {
    expect(() => parseReply(Buffer.from('STAT pid 1\r\nHELLO\r\nEND\r\n'), 'stats')).toThrow(ProtocolError);
    expect(() => parseReply(Buffer.from('VALUE k 0 2\r\nabcd\r\nEND\r\n'), 'values')).toThrow('value data not followed by CRLF');
    expect(() => parseReply(Buffer.alloc(9000, 65), 'line')).toThrow('reply line too long');
  });
});

describe('parseClusterConfig (ElastiCache auto discovery)', () => {
  it('lists the nodes as host:port, dialled at their IP', () => {
    const reply = parseReply(Buffer.from(CLUSTER), 'values')!.reply;
    expect(reply.kind).toBe('values');
    if (reply.kind !== 'values') return;
    expect(parseClusterConfig(reply.values[0]!.data.toString())).toEqual({
      configVersion: 12,
      nodes: [
        { name: 'myCluster.pc4ldq.0001.use1.cache.amazonaws.com:11211', address: '10.82.235.120', port: 11211 },
        { name: 'myCluster.pc4ldq.0002.use1.cache.amazonaws.com:11211', address: '10.80.249.27', port: 11211 },
      ],
    });
  });
  it('dials the host name when no IP is given, and rejects a malformed list', () => {
    expect(parseClusterConfig('3\nnode-a||11211\n').nodes).toEqual([{ name: 'node-a:11211', address: 'node-a', port: 11211 }]);
    expect(() => parseClusterConfig('not a version\nx|y|z\n')).toThrow(ProtocolError);
    expect(() => parseClusterConfig('3\nnode-a|10.0.0.1\n')).toThrow('bad node entry');
  });
  it('lists a node the endpoint names twice once (two probes of it would share one session)', () => {
    expect(parseClusterConfig('4\nnode-a|10.0.0.1|11211 node-b|10.0.0.2|11211 node-a|10.0.0.1|11211\n').nodes.map((n) => n.name)).toEqual([
      'node-a:11211',
      'node-b:11211',
    ]);
  });
});

describe('parseReply under fuzzing', () => {
  const shapes = fc.constantFrom<ReplyShape>('line', 'stats', 'values');

  it('never throws anything but ProtocolError, and never claims more bytes than it was given', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), shapes, (bytes, shape) => {
        const buf = Buffer.from(bytes);
        try {
          const r = parseReply(buf, shape);
          if (r) expect(r.used).toBeLessThanOrEqual(buf.length);
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: 3000 },
    );
  });

  const statName = fc.stringMatching(/^[a-z_]{1,20}$/);
  const statValue = fc.stringMatching(/^[ -~]{0,30}$/).map((s) => s.trim());
  const key = fc.stringMatching(/^[!-~]{1,40}$/);

  it('reads back any stats it is given, however TCP splits them', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.oneof(statName, fc.constant('__proto__')), statValue), fc.array(fc.nat(), { maxLength: 5 }), (stats, cuts) => {
        const text = `${Object.entries(stats)
          .map(([k, v]) => `STAT ${k} ${v}\r\n`)
          .join('')}END\r\n`;
        const buf = Buffer.from(text);
        const parsed = parseReply(buf, 'stats')!;
        expect(parsed.reply).toEqual({ kind: 'stats', stats: new Map(Object.entries(stats)) });
        for (const c of cuts) if (c % buf.length < buf.length - 1) expect(parseReply(buf.subarray(0, c % buf.length), 'stats')).toBeUndefined();
      }),
      { numRuns: 1000 },
    );
  });

  it('reads back any values it is given, binary data included', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ key, flags: fc.nat({ max: 65535 }), data: fc.uint8Array({ maxLength: 64 }) }), { maxLength: 4 }), (values) => {
        const buf = Buffer.concat([
          ...values.flatMap((v) => [Buffer.from(`VALUE ${v.key} ${v.flags} ${v.data.length}\r\n`), Buffer.from(v.data), Buffer.from('\r\n')]),
          Buffer.from('END\r\n'),
        ]);
        const parsed = parseReply(buf, 'values')!;
        expect(parsed.used).toBe(buf.length);
        expect(parsed.reply).toEqual({ kind: 'values', values: values.map((v) => ({ key: v.key, flags: v.flags, data: Buffer.from(v.data) })) });
      }),
      { numRuns: 1000 },
    );
  });
});
