import { describe, expect, it } from 'vitest';
import type { AlertState, AlertWrite } from '../../../src/alerting/alert';
import { inhibitions } from '../../../src/alerting/inhibit';
import { step, type LifecyclePolicy } from '../../../src/alerting/lifecycle';
import { activeSilence, parseDuration, type Silence } from '../../../src/alerting/silence';
import type { Finding, FindingCode } from '../../../src/model/findings';

/** The alerts after `writes` are applied (what a store holds once every write landed). */
function applyWrites(alerts: ReadonlyMap<string, AlertState>, writes: AlertWrite[]): Map<string, AlertState> {
  const next = new Map(alerts);
  for (const w of writes) {
    if (w.alert) next.set(w.key, w.alert);
    else next.delete(w.key);
  }
  return next;
}

const policy: LifecyclePolicy = { resolveSamples: 2, repeatMs: 30 * 60_000 };
const finding = (code: FindingCode = 'ReplicationBroken', over: Partial<Finding> = {}): Finding => ({
  code,
  severity: 'critical',
  cluster: 'main',
  target: 'main-r1',
  summary: 'SQL thread stopped: 1062 Duplicate entry',
  details: {},
  ...over,
});

/** Runs samples through the lifecycle as a store would apply them; returns the pages in order. */
function run(samples: Finding[][], p: LifecyclePolicy = policy, startMs = Date.parse('2026-11-22T10:00:00Z'), everyMs = 10_000, held: Set<string> = new Set()) {
  let alerts = new Map<string, AlertState>();
  const pages: Array<{ n: number; kind: string; key: string; escalated?: boolean }> = [];
  samples.forEach((findings, n) => {
    const writes: AlertWrite[] = step(alerts, findings, held, new Date(startMs + n * everyMs), p);
    for (const w of writes) if (w.page) pages.push({ n, kind: w.page, key: w.key, ...(w.escalated ? { escalated: true } : {}) });
    alerts = applyWrites(alerts, writes);
  });
  return { pages, alerts };
}

const KEY = 'ReplicationBroken|main|main-r1';

describe('alert lifecycle', () => {
  it('pages once when a sticky fault appears, and once when it has been clear for resolveSamples', () => {
    const f = finding();
    const { pages, alerts } = run([[], [f], [f], [f], [], [], []]);
    expect(pages).toEqual([
      { n: 1, kind: 'firing', key: KEY },
      { n: 5, kind: 'resolved', key: KEY },
    ]);
    expect(alerts.size).toBe(0);
  });

  it('gives one page for flapping input: hysteresis keeps it firing while it comes and goes', () => {
    const f = finding();
    const flapping = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? [f] : []));
    const { pages } = run(flapping);
    expect(pages).toEqual([{ n: 0, kind: 'firing', key: KEY }]);
    const { pages: settled } = run([...flapping, [], []]);
    expect(settled.map((p) => p.kind)).toEqual(['firing', 'resolved']);
  });

  it('waits for a second sample before paging what one dropped packet can cause, and forgets a blip', () => {
    const u = finding('ReplicaUnreachable');
    expect(run([[u], [], [u], []]).pages).toEqual([]);
    expect(run([[u], [u]]).pages).toEqual([{ n: 1, kind: 'firing', key: 'ReplicaUnreachable|main|main-r1' }]);
  });

  it('repeats a still-firing alert after repeatMinutes, and not before', () => {
    const f = finding();
    const samples = Array.from({ length: 200 }, () => [f]); // 10 s apart: 33 min
    const { pages } = run(samples);
    expect(pages.map((p) => [p.n, p.kind])).toEqual([
      [0, 'firing'],
      [180, 'repeat'],
    ]);
  });

  it('pages again, as firing, when a warning escalates to critical, but not when it eases', () => {
    const warn = finding('ReplicaLagging', { severity: 'warning' });
    const crit = finding('ReplicaLagging', { severity: 'critical' });
    const { pages } = run([[warn], [warn], [crit], [crit], [warn], [crit]]);
    expect(pages).toEqual([
      { n: 0, kind: 'firing', key: 'ReplicaLagging|main|main-r1' },
      { n: 2, kind: 'firing', key: 'ReplicaLagging|main|main-r1', escalated: true },
    ]);
  });

  it('never pages info findings', () => {
    expect(run([[finding('MonitorOverPrivileged', { severity: 'info' })], [finding('MonitorOverPrivileged', { severity: 'info' })]]).pages).toEqual([]);
  });

  it('holds a silenced or inhibited alert exactly as it was: no page, no false resolve', () => {
    const f = finding();
    const first = run([[f]]);
    const held = new Set([KEY]);
    const writes = step(first.alerts, [], held, new Date('2026-11-22T11:00:00Z'), policy);
    expect(writes).toEqual([]);
    expect(step(new Map(), [f], held, new Date(), policy)).toEqual([]);
  });

  it('leaves a resolving alert (its RESOLVED still owed) alone while clear or held, and fires it again at once when it is back', () => {
    const f = finding();
    const fired = run([[f]]).alerts.get(KEY)!;
    const resolvingAlert: AlertState = {
      ...fired,
      consecutiveClear: 2,
      undelivered: { kind: 'resolved', sinks: ['sns'], at: '2026-11-22T10:00:20.000Z' },
      version: 3,
    };
    const alerts = new Map([[KEY, resolvingAlert]]);
    const now = new Date('2026-11-22T10:00:30Z');
    expect(step(alerts, [], new Set(), now, policy)).toEqual([]);
    expect(step(alerts, [f], new Set([KEY]), now, policy)).toEqual([]);
    const [back] = step(alerts, [f], new Set(), now, policy);
    expect(back).toMatchObject({
      key: KEY,
      expectedVersion: 3,
      page: 'firing',
      alert: { status: 'firing', firedAt: now.toISOString(), consecutiveClear: 0, version: 4 },
    });
    expect(back!.alert!.undelivered).toBeUndefined();
  });

  it('makes every write conditional on the version it read', () => {
    const f = finding();
    const [create] = step(new Map(), [f], new Set(), new Date(), policy);
    expect(create).toMatchObject({ expectedVersion: null, page: 'firing', alert: { version: 1, status: 'firing' } });
    const alerts = applyWrites(new Map(), [create!]);
    const [clear] = step(alerts, [], new Set(), new Date(), policy);
    expect(clear).toMatchObject({ expectedVersion: 1, alert: { version: 2, consecutiveClear: 1 } });
  });
});

describe('inhibition', () => {
  const endpoints: Record<string, string> = {
    'main/main-primary': '10.0.0.1:3306',
    'main/main-r1': '10.0.0.2:3306',
    'sessions/10.0.1.5:11211': '10.0.1.5:11211',
    'sessions/10.0.1.5:11212': '10.0.1.5:11212',
    'edge/10.0.1.5:11211': '10.0.1.5:11211',
    'edge/10.0.0.1:3306': '10.0.0.1:3306',
  };
  const endpointOf = (f: Finding) => endpoints[`${f.cluster}/${f.target}`];

  it("folds a dead primary's replica IO errors and lag into it, not a broken SQL thread", () => {
    const dead = finding('PrimaryUnreachable', { target: 'main-primary' });
    const io = finding('ReplicaIoError');
    const lag = finding('ReplicaLagging', { target: 'main-r2' });
    const sql = finding('ReplicationBroken', { target: 'main-r2' });
    const other = finding('ReplicaIoError', { cluster: 'other' });
    expect(inhibitions([dead, io, lag, sql, other], endpointOf)).toEqual([
      { key: 'ReplicaIoError|main|main-r1', by: 'PrimaryUnreachable|main|main-primary' },
      { key: 'ReplicaLagging|main|main-r2', by: 'PrimaryUnreachable|main|main-primary' },
    ]);
    expect(inhibitions([finding('PrimaryUnreachable', { target: 'main-primary', severity: 'warning' }), io], endpointOf)).toEqual([]);
  });

  it('makes one incident of a failing path and the service at that very host:port, and nothing else on the address', () => {
    const host = finding('HostUnreachable', { cluster: 'edge', target: '10.0.1.5:11211' });
    const slow = finding('MemcacheSlow', { cluster: 'sessions', target: '10.0.1.5:11211', severity: 'warning' });
    const down = finding('MemcacheUnreachable', { cluster: 'sessions', target: '10.0.1.5:11211' });
    const elsewhere = finding('MemcacheUnreachable', { cluster: 'sessions', target: '10.0.1.6:11211' });
    const otherPort = finding('MemcacheUnreachable', { cluster: 'sessions', target: '10.0.1.5:11212' });
    // A warning of the service is the path's symptom.
    expect(inhibitions([host, slow], endpointOf)).toEqual([{ key: 'MemcacheSlow|sessions|10.0.1.5:11211', by: 'HostUnreachable|edge|10.0.1.5:11211' }]);
    // The service down says more (a frozen one fills its listen queue, and its port looks black).
    expect(inhibitions([host, down, elsewhere, otherPort], endpointOf)).toEqual([
      { key: 'HostUnreachable|edge|10.0.1.5:11211', by: 'MemcacheUnreachable|sessions|10.0.1.5:11211' },
    ]);
    // Unless the path already paged: it stays the page of this incident.
    expect(inhibitions([host, down], endpointOf, new Set(['HostUnreachable|edge|10.0.1.5:11211']))).toEqual([
      { key: 'MemcacheUnreachable|sessions|10.0.1.5:11211', by: 'HostUnreachable|edge|10.0.1.5:11211' },
    ]);
    const warnLoss = finding('PacketLoss', { cluster: 'edge', target: '10.0.1.5:11211', severity: 'warning' });
    expect(inhibitions([warnLoss, slow], endpointOf)).toEqual([]);
    // A dead primary and the black path to its port: the primary's page; a memcached on its address is its own.
    const primaryPort = finding('HostUnreachable', { cluster: 'edge', target: '10.0.0.1:3306' });
    const primary = finding('PrimaryUnreachable', { target: 'main-primary' });
    const cache = finding('MemcacheUnreachable', { cluster: 'sessions', target: '10.0.0.1:11211' });
    expect(inhibitions([primaryPort, primary, cache], (f) => endpointOf(f) ?? f.target)).toEqual([
      { key: 'HostUnreachable|edge|10.0.0.1:3306', by: 'PrimaryUnreachable|main|main-primary' },
    ]);
  });

  it("holds a replica's lag while its own IO thread cannot fetch anything", () => {
    const io = finding('ReplicaIoError');
    const lag = finding('ReplicaLagging');
    const otherLag = finding('ReplicaLagging', { target: 'main-r2' });
    expect(inhibitions([io, lag, otherLag], endpointOf)).toEqual([{ key: 'ReplicaLagging|main|main-r1', by: 'ReplicaIoError|main|main-r1' }]);
  });
});

describe('silences', () => {
  const s: Silence = { id: 'a', cluster: 'main', code: 'ReplicaLagging', from: '2026-11-22T10:00:00Z', to: '2026-11-22T12:00:00Z', reason: 'rebuild' };
  it('match every field they name, inside their window only', () => {
    expect(activeSilence([s], finding('ReplicaLagging'), new Date('2026-11-22T11:00:00Z'))).toBe(s);
    expect(activeSilence([s], finding('ReplicaLagging', { cluster: 'other' }), new Date('2026-11-22T11:00:00Z'))).toBeUndefined();
    expect(activeSilence([s], finding('ReplicationBroken'), new Date('2026-11-22T11:00:00Z'))).toBeUndefined();
    expect(activeSilence([s], finding('ReplicaLagging'), new Date('2026-11-22T12:00:00Z'))).toBeUndefined();
  });
  it('parses durations', () => {
    expect([parseDuration('500ms'), parseDuration('10s'), parseDuration('90m'), parseDuration('2h'), parseDuration('1d'), parseDuration('3')]).toEqual([
      500, 10_000, 5_400_000, 7_200_000, 86_400_000, 3000,
    ]);
    expect(() => parseDuration('soon')).toThrow('not a duration');
  });
});
