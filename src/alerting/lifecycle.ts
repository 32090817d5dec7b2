import type { Finding } from '../model/findings';
import { pendingSamples } from '../model/codes';
import { alertKey, resolving, type AlertState, type AlertWrite } from './alert';

export interface LifecyclePolicy {
  /** Clear samples in a row before a firing alert resolves: hysteresis against flapping. */
  resolveSamples: number;
  /** A still-firing alert is paged again after this long. */
  repeatMs: number;
  pendingSamples?: (f: Finding) => number;
}

interface Seen {
  key: string;
  finding: Finding;
  /** The finding's, known not to be info. */
  severity: AlertState['severity'];
  prev: AlertState | undefined;
  at: string;
  now: Date;
  policy: LifecyclePolicy;
  pendingFor: (f: Finding) => number;
}

/** Back before every sink took its RESOLVED: to those still owed it, it never stopped; those
 * that took it hear it fire again (the pager picks which). No pending samples: it was firing a moment ago. */
function refire({ key, finding: f, severity, prev, at }: Seen & { prev: AlertState }): AlertWrite {
  const { undelivered: _moot, ...rest } = prev;
  const fired: AlertState = {
    ...rest,
    status: 'firing',
    severity,
    finding: f,
    firedAt: at,
    lastPagedAt: at,
    consecutiveFound: 1,
    consecutiveClear: 0,
    version: prev.version + 1,
  };
  return { key, alert: fired, expectedVersion: prev.version, page: 'firing', paged: fired };
}

function pendingOrFire({ key, finding: f, severity, prev, at, pendingFor }: Seen): AlertWrite {
  const found = (prev?.consecutiveFound ?? 0) + 1;
  const base: AlertState = {
    key,
    status: 'pending',
    severity,
    finding: f,
    firstSeenAt: prev?.firstSeenAt ?? at,
    consecutiveFound: found,
    consecutiveClear: 0,
    version: (prev?.version ?? 0) + 1,
  };
  const expectedVersion = prev ? prev.version : null;
  if (found < pendingFor(f)) return { key, alert: base, expectedVersion };
  const fired: AlertState = { ...base, status: 'firing', firedAt: at, lastPagedAt: at };
  return { key, alert: fired, expectedVersion, page: 'firing', paged: fired };
}

/** Firing and seen again: page when it got worse or the repeat interval has passed; write only
 * when something a later sample needs has changed. */
function stillFiring({ key, finding: f, severity, prev, at, now, policy }: Seen & { prev: AlertState }): AlertWrite | undefined {
  const expectedVersion = prev.version;
  const escalated = prev.severity === 'warning' && severity === 'critical';
  const due = prev.lastPagedAt !== undefined && now.getTime() - Date.parse(prev.lastPagedAt) >= policy.repeatMs;
  if (escalated || due) {
    const paged: AlertState = {
      ...prev,
      finding: f,
      severity: escalated ? 'critical' : prev.severity,
      lastPagedAt: at,
      consecutiveClear: 0,
      version: prev.version + 1,
    };
    return { key, alert: paged, expectedVersion, page: escalated ? 'firing' : 'repeat', paged, ...(escalated ? { escalated: true } : {}) };
  }
  if (prev.consecutiveClear > 0) return { key, alert: { ...prev, finding: f, consecutiveClear: 0, version: prev.version + 1 }, expectedVersion };
  return undefined;
}

/** Not seen this sample: a pending alert simply goes (it never paged); a firing one resolves after enough clear samples. */
function notSeen(key: string, prev: AlertState, at: string, policy: LifecyclePolicy): AlertWrite {
  if (prev.status === 'pending') return { key, alert: null, expectedVersion: prev.version };
  const clear = prev.consecutiveClear + 1;
  if (clear >= policy.resolveSamples) {
    return { key, alert: null, expectedVersion: prev.version, page: 'resolved', paged: { ...prev, consecutiveClear: clear, lastPagedAt: at } };
  }
  return { key, alert: { ...prev, consecutiveFound: 0, consecutiveClear: clear, version: prev.version + 1 }, expectedVersion: prev.version };
}

/**
 * One sample's findings against the stored alerts -> the writes (and pages) it calls for. Pure.
 * `held` keys (inhibited or silenced findings) keep their state exactly as it was: they neither
 * count as seen nor as clear, so a silence neither pages nor falsely resolves. Which sinks a
 * page goes to, and pages still owed from earlier samples, are delivery's (delivery.ts).
 */
export function step(
  alerts: ReadonlyMap<string, AlertState>,
  findings: Finding[],
  held: ReadonlySet<string>,
  now: Date,
  policy: LifecyclePolicy,
): AlertWrite[] {
  const at = now.toISOString();
  const writes: AlertWrite[] = [];
  const seen = new Set<string>();
  const pendingFor = policy.pendingSamples ?? ((f: Finding) => pendingSamples(f.code));

  for (const finding of findings) {
    const severity = finding.severity;
    if (severity === 'info') continue;
    const key = alertKey(finding);
    if (held.has(key) || seen.has(key)) continue;
    seen.add(key);
    const prev = alerts.get(key);
    const s: Seen = { key, finding, severity, prev, at, now, policy, pendingFor };
    const write = prev && resolving(prev) ? refire({ ...s, prev }) : !prev || prev.status === 'pending' ? pendingOrFire(s) : stillFiring({ ...s, prev });
    if (write) writes.push(write);
  }
  for (const [key, prev] of alerts) {
    // A resolving alert has made its transition; only its RESOLVED is still to be delivered.
    if (seen.has(key) || held.has(key) || resolving(prev)) continue;
    writes.push(notSeen(key, prev, at, policy));
  }
  return writes;
}
