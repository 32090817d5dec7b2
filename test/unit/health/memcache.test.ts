import { describe, expect, it } from 'vitest';
import { analyseMemcacheNode, slowThresholdMs } from '../../../src/health/memcache';
import type { MemcacheReading } from '../../../src/model/readings';

const t = { timeoutMs: 500, evictionsPerSecond: 100 };
const stats = { version: '1.6.18', pid: 100, uptime: 1000, currConnections: 5, evictions: 0, listenDisabledNum: 0, limitMaxbytes: 64 << 20, bytes: 1000 };
const reading = (over: Partial<MemcacheReading> = {}): MemcacheReading => ({
  pool: 'sessions',
  target: '10.0.1.5:11211',
  reachable: true,
  roundTripMs: 0.4,
  stats,
  canary: 'ok',
  probeMs: 2,
  at: 10_000,
  ...over,
});

describe('analyseMemcacheNode', () => {
  it('is quiet for a healthy node and reports the contract observation', () => {
    const r = analyseMemcacheNode(t, reading());
    expect(r.findings).toEqual([]);
    expect(r.observation).toMatchObject({ kind: 'memcache', pool: 'sessions', target: '10.0.1.5:11211', reachable: true, roundTripMs: 0.4 });
  });

  it('makes a hung node (deadline) and a refused one MemcacheUnreachable, critical', () => {
    const hung = analyseMemcacheNode(
      t,
      reading({ reachable: false, roundTripMs: null, stats: undefined, error: { code: 'ETIMEDOUT', message: 'version: no answer within 500 ms' } }),
    );
    expect(hung).toHaveFindings([{ code: 'MemcacheUnreachable', severity: 'critical' }]);
    expect(hung.findings[0]!.summary).toContain('no reply within 500 ms (hung or blackholed)');
    const refused = analyseMemcacheNode(
      t,
      reading({ reachable: false, roundTripMs: null, error: { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 10.0.1.5:11211' } }),
    );
    expect(refused.findings[0]!.summary).toContain('ECONNREFUSED');
  });

  it('flags a slow round trip against slowMs, defaulting to half the timeout up to 100 ms', () => {
    expect(slowThresholdMs(t)).toBe(100);
    expect(slowThresholdMs({ ...t, timeoutMs: 60 })).toBe(30);
    expect(analyseMemcacheNode(t, reading({ roundTripMs: 150 }))).toHaveFindings([{ code: 'MemcacheSlow', severity: 'warning' }]);
    expect(analyseMemcacheNode({ ...t, slowMs: 5 }, reading({ roundTripMs: 6 }))).toHaveFindings([{ code: 'MemcacheSlow', severity: 'warning' }]);
  });

  it('calls a set/get mismatch critical and a refused store a warning', () => {
    expect(analyseMemcacheNode(t, reading({ canary: 'mismatch', canaryDetail: 'read back "x"' }))).toHaveFindings([
      { code: 'MemcacheDegraded', severity: 'critical' },
    ]);
    expect(analyseMemcacheNode(t, reading({ canary: 'not-stored', canaryDetail: 'SERVER_ERROR out of memory' }))).toHaveFindings([
      { code: 'MemcacheDegraded', severity: 'warning' },
    ]);
  });

  it('sees what only shows between samples: eviction rate, connection-limit hits, a restart', () => {
    const before = reading({ at: 0 });
    const evicting = analyseMemcacheNode(t, reading({ at: 10_000, stats: { ...stats, evictions: 5000 } }), before);
    expect(evicting).toHaveFindings([{ code: 'MemcacheDegraded', severity: 'warning' }]);
    expect(evicting.findings[0]!.summary).toContain('500 evictions/s');
    expect(analyseMemcacheNode(t, reading({ at: 10_000, stats: { ...stats, evictions: 500 } }), before).findings).toEqual([]);
    expect(analyseMemcacheNode(t, reading({ stats: { ...stats, listenDisabledNum: 3 } }), before).findings[0]!.summary).toContain('connection limit 3 time(s)');
    const restarted = analyseMemcacheNode(
      t,
      reading({ stats: { ...stats, uptime: 4, evictions: 0 } }),
      reading({ stats: { ...stats, uptime: 1000, evictions: 900 } }),
    );
    expect(restarted.findings[0]!.summary).toContain('restarted (uptime 4 s, was 1000 s)');
    const quick = analyseMemcacheNode(t, reading({ stats: { ...stats, pid: 101 } }), reading());
    expect(quick.findings[0]!.summary).toContain('restarted (pid 100 -> 101, uptime 1000 s, was 1000 s)');
  });

  it('merges several degradations into one finding per node', () => {
    const r = analyseMemcacheNode(t, reading({ canary: 'not-stored', canaryDetail: 'x', stats: { ...stats, listenDisabledNum: 1 } }), reading());
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]!.details.reasons).toHaveLength(2);
  });
});
