import type { Finding } from '../model/findings';
import type { MemcacheObservation } from '../model/observations';
import type { MemcacheReading } from '../model/readings';

export interface MemcacheThresholds {
  timeoutMs: number;
  slowMs?: number;
  evictionsPerSecond: number;
}

export const slowThresholdMs = (t: MemcacheThresholds): number => t.slowMs ?? Math.min(100, t.timeoutMs / 2);

const round = (n: number | null) => (n === null ? null : Math.round(n * 1000) / 1000);

const observe = (r: MemcacheReading): MemcacheObservation => ({
  kind: 'memcache',
  pool: r.pool,
  target: r.target,
  reachable: r.reachable,
  roundTripMs: round(r.roundTripMs),
  version: r.stats?.version ?? null,
  uptimeSeconds: r.stats?.uptime ?? null,
  currConnections: r.stats?.currConnections ?? null,
  evictions: r.stats?.evictions ?? null,
  ...(r.error ? { error: `${r.error.code}: ${r.error.message}` } : {}),
});

const unreachable = (t: MemcacheThresholds, r: MemcacheReading): Finding => ({
  cluster: r.pool,
  target: r.target,
  code: 'MemcacheUnreachable',
  severity: 'critical',
  summary: `memcached ${r.target} did not answer: ${r.error?.code === 'ETIMEDOUT' ? `no reply within ${t.timeoutMs} ms (hung or blackholed)` : `${r.error?.code}: ${r.error?.message}`}`,
  action: `check memcached on ${r.target}: is the process running (and not stopped), is the port reachable from here`,
  details: { error: r.error, probeMs: Math.round(r.probeMs) },
});

/** What only shows as a change since the previous reading: a restart, evictions per second, connection-limit hits. */
function changes(t: MemcacheThresholds, r: MemcacheReading, previous: MemcacheReading | undefined): string[] {
  const now = r.stats;
  const was = previous?.reachable ? previous.stats : undefined;
  if (!now || !was) return [];
  // uptime has a one-second grain (and starts near 62 s): a new pid tells a quick restart too.
  const newPid = now.pid !== null && was.pid !== null && now.pid !== was.pid;
  if (newPid || (now.uptime !== null && was.uptime !== null && now.uptime < was.uptime)) {
    return [`it restarted (${newPid ? `pid ${was.pid} -> ${now.pid}, ` : ''}uptime ${now.uptime} s, was ${was.uptime} s): the cache is cold`];
  }
  const reasons: string[] = [];
  const seconds = Math.max(0.001, (r.at - previous!.at) / 1000);
  if (now.evictions !== null && was.evictions !== null) {
    const rate = (now.evictions - was.evictions) / seconds;
    if (rate > t.evictionsPerSecond) reasons.push(`${rate.toFixed(0)} evictions/s (over ${t.evictionsPerSecond}): the cache is too small for its working set`);
  }
  if (now.listenDisabledNum !== null && was.listenDisabledNum !== null && now.listenDisabledNum > was.listenDisabledNum) {
    reasons.push(
      `it hit its connection limit ${now.listenDisabledNum - was.listenDisabledNum} time(s) since the last sample (listen_disabled_num): clients were refused`,
    );
  }
  return reasons;
}

function degraded(t: MemcacheThresholds, r: MemcacheReading, previous: MemcacheReading | undefined): Finding | undefined {
  const reasons: string[] = [];
  if (r.canary === 'mismatch') reasons.push(`a value set and read straight back differed (${r.canaryDetail})`);
  else if (r.canary === 'not-stored') reasons.push(`it refused to store a value (${r.canaryDetail})`);
  reasons.push(...changes(t, r, previous));
  if (reasons.length === 0) return undefined;
  return {
    cluster: r.pool,
    target: r.target,
    code: 'MemcacheDegraded',
    severity: r.canary === 'mismatch' ? 'critical' : 'warning',
    summary: `memcached ${r.target}: ${reasons.join('; ')}`,
    action: `check memory (-m), connection limit (-c) and restarts of ${r.target}`,
    details: { reasons, stats: r.stats, previousStats: (previous?.reachable ? previous.stats : undefined) ?? null },
  };
}

/**
 * One node's reading (and the one before it, for what only shows as a change: evictions per
 * second, connection-limit hits, a restart) -> its observation and findings. Pure.
 */
export function analyseMemcacheNode(
  t: MemcacheThresholds,
  r: MemcacheReading,
  previous?: MemcacheReading,
): { observation: MemcacheObservation; findings: Finding[] } {
  const observation = observe(r);
  if (!r.reachable) return { observation, findings: [unreachable(t, r)] };
  const findings: Finding[] = [];
  const slowMs = slowThresholdMs(t);
  if (r.roundTripMs !== null && r.roundTripMs > slowMs) {
    findings.push({
      cluster: r.pool,
      target: r.target,
      code: 'MemcacheSlow',
      severity: 'warning',
      summary: `memcached ${r.target} round trip ${r.roundTripMs.toFixed(1)} ms, over ${slowMs} ms`,
      action: `look at CPU, network and connection count on ${r.target}`,
      details: { roundTripMs: round(r.roundTripMs), slowMs },
    });
  }
  const bad = degraded(t, r, previous);
  if (bad) findings.push(bad);
  return { observation, findings };
}
