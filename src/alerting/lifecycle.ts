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

  for (const f of findings) {
    if (f.severity === 'info') continue;
    const key = alertKey(f);
    if (held.has(key) || seen.has(key)) continue;
    seen.add(key);
    const prev = alerts.get(key);
    const expectedVersion = prev ? prev.version : null;

    if (prev && resolving(prev)) {
      // Back before every sink took its RESOLVED: to those still owed it, it never stopped; those
      // that took it hear it fire again (the pager picks which). No pending samples: it was firing a moment ago.
      const { undelivered: _moot, ...rest } = prev;
      const fired: AlertState = {
        ...rest,
        status: 'firing',
        severity: f.severity,
        finding: f,
        firedAt: at,
        lastPagedAt: at,
        consecutiveFound: 1,
        consecutiveClear: 0,
        version: prev.version + 1,
      };
      writes.push({ key, alert: fired, expectedVersion, page: 'firing', paged: fired });
      continue;
    }
    if (!prev || prev.status === 'pending') {
      const found = (prev?.consecutiveFound ?? 0) + 1;
      const base: AlertState = {
        key,
        status: 'pending',
        severity: f.severity,
        finding: f,
        firstSeenAt: prev?.firstSeenAt ?? at,
        consecutiveFound: found,
        consecutiveClear: 0,
        version: (prev?.version ?? 0) + 1,
      };
      if (found >= pendingFor(f)) {
        const fired: AlertState = { ...base, status: 'firing', firedAt: at, lastPagedAt: at };
        writes.push({ key, alert: fired, expectedVersion, page: 'firing', paged: fired });
      } else {
        writes.push({ key, alert: base, expectedVersion });
      }
      continue;
    }
    // Firing and seen again: page when it got worse or the repeat interval has passed; write
    // only when something a later sample needs has changed.
    const escalated = prev.severity === 'warning' && f.severity === 'critical';
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
      writes.push({ key, alert: paged, expectedVersion, page: escalated ? 'firing' : 'repeat', paged, ...(escalated ? { escalated: true } : {}) });
    } else if (prev.consecutiveClear > 0) {
      writes.push({ key, alert: { ...prev, finding: f, consecutiveClear: 0, version: prev.version + 1 }, expectedVersion });
    }
  }

  for (const [key, prev] of alerts) {
    // A resolving alert has made its transition; only its RESOLVED is still to be delivered.
    if (seen.has(key) || held.has(key) || resolving(prev)) continue;
    if (prev.status === 'pending') {
      // It never paged: it simply goes.
      writes.push({ key, alert: null, expectedVersion: prev.version });
      continue;
    }
    const clear = prev.consecutiveClear + 1;
    if (clear >= policy.resolveSamples) {
      writes.push({ key, alert: null, expectedVersion: prev.version, page: 'resolved', paged: { ...prev, consecutiveClear: clear, lastPagedAt: at } });
    } else {
      writes.push({ key, alert: { ...prev, consecutiveFound: 0, consecutiveClear: clear, version: prev.version + 1 }, expectedVersion: prev.version });
    }
  }
  return writes;
}
