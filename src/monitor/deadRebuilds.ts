import type { Silence } from '../alerting/silence';
import { REBUILD_LOCK_PREFIX } from '../health/rebuilds';
import { ownerAlive } from '../runbooks/lease';
import { lapsed, type Lock } from '../state/store';

type Held = { name: string; lock: Lock };

/**
 * Rebuild locks as they really stand: a holder on this host whose process is gone (kill -9) is
 * dead now, not when its lease lapses, so its lock reads as lapsed and the silence it held over
 * its replica no longer holds. The runbook treats such a holder the same way (rebuild.ts
 * examineLock); the monitor must not say "leave it be, it is running" meanwhile.
 */
export function endDeadRebuilds<T extends { locks: Held[]; silences: Silence[] }>(state: T, now: Date): T {
  const dead = state.locks.filter(
    ({ name, lock }) => name.startsWith(REBUILD_LOCK_PREFIX) && !lock.handover && !lapsed(lock, now) && ownerAlive(lock.owner) === false,
  );
  if (dead.length === 0) return state;
  const names = new Set(dead.map((d) => d.name));
  return {
    ...state,
    locks: state.locks.map((l) => (names.has(l.name) ? { ...l, lock: { ...l.lock, expiresAt: now.toISOString() } } : l)),
    silences: state.silences.filter((s) => ![...names].some((n) => s.id.startsWith(`${n}/`))),
  };
}
