import type { AlertState, AlertWrite } from '../alerting/alert';
import type { Silence } from '../alerting/silence';

/**
 * Alert state between samples and invocations, and the silences `replwatch silence` adds.
 * Writes are conditional on the version the writer read: of two overlapping runs that compute
 * the same transition, exactly one write succeeds, and only that run pages.
 */
export interface StateStore {
  loadAlerts(): Promise<Map<string, AlertState>>;
  /** One alert, read consistently: what another run wrote while this one was sending its page. */
  loadAlert(key: string): Promise<AlertState | undefined>;
  /** False when the stored version is not `expectedVersion` (another run got there first). */
  write(w: Pick<AlertWrite, 'key' | 'alert' | 'expectedVersion'>): Promise<boolean>;
  listSilences(): Promise<Silence[]>;
  /** Adds `s`, or replaces the silence of the same id (a rebuild extending its own). */
  addSilence(s: Silence): Promise<void>;
  removeSilence(id: string): Promise<boolean>;
  /**
   * Takes `name` for `owner`, its lease ending at `expiresAt`, if it is free, its lease lapsed, or
   * its holder handed it over: the lock as taken (with the previous holder's checkpoint when
   * `keepCheckpoint`), or undefined when someone holds it.
   */
  acquireLock(name: string, owner: string, expiresAt: Date, now: Date, o?: { keepCheckpoint?: boolean }): Promise<Lock | undefined>;
  /** Extends the lease of a lock `owner` holds and whose lease has not lapsed; false otherwise (it may be someone else's now). */
  renewLock(name: string, owner: string, expiresAt: Date, now: Date): Promise<boolean>;
  /** Records progress (a rebuild's checkpoint) on a lock `owner` holds, lease not lapsed; false otherwise. */
  updateLock(name: string, owner: string, checkpoint: unknown, now: Date): Promise<boolean>;
  /**
   * Stops holding `name` but keeps it, checkpoint and all, for whoever goes on: its lease ends at
   * `expiresAt`; with `handover` a successor may take it before then. False if `owner` does not hold it.
   */
  parkLock(name: string, owner: string, expiresAt: Date, handover: boolean): Promise<boolean>;
  releaseLock(name: string, owner: string): Promise<void>;
  readLock(name: string): Promise<Lock | undefined>;
  /** Every lock whose name starts with `prefix` (the monitor looks for rebuilds that died). */
  listLocks(prefix: string): Promise<Array<{ name: string; lock: Lock }>>;
  /**
   * What a sample reads, in one read (one Scan of the DynamoDB table, not one per kind): the
   * alerts, the silences, and the locks whose name starts with `lockPrefix` (none without one).
   */
  snapshot(lockPrefix?: string): Promise<StateSnapshot>;
}

export interface StateSnapshot {
  alerts: Map<string, AlertState>;
  silences: Silence[];
  locks: Array<{ name: string; lock: Lock }>;
}

/**
 * A lease: held while its owner renews it before `expiresAt`; nobody may take it from a live
 * owner, and anyone may once it lapsed (its owner died or stalled) or was handed over.
 */
export interface Lock {
  owner: string;
  expiresAt: string;
  startedAt?: string;
  renewedAt?: string;
  /** Let go on purpose for a successor (a Lambda handing its copy to its next invocation). */
  handover?: boolean;
  checkpoint?: unknown;
}

// Not `<=`: a lease end that does not parse (NaN) has lapsed rather than holding forever.
export const lapsed = (held: Lock, now: Date): boolean => !(Date.parse(held.expiresAt) > now.getTime());

/** Whether anyone may take a lock now held as `held`: free, its lease lapsed, or handed over. */
export function lockTakeable(held: Lock | undefined, now: Date): boolean {
  return !held || lapsed(held, now) || held.handover === true;
}

/** Whether `owner` holds `held` now: its lease is live (a handed-over lock is no longer its owner's to renew). */
export function lockHeldBy(held: Lock | undefined, owner: string, now: Date): held is Lock {
  return held !== undefined && held.owner === owner && !lapsed(held, now) && held.handover !== true;
}

/** The lock `owner` holds once it took `held` (see acquireLock). */
export function takenLock(held: Lock | undefined, owner: string, expiresAt: Date, now: Date, keepCheckpoint = false): Lock {
  const at = now.toISOString();
  return {
    owner,
    expiresAt: expiresAt.toISOString(),
    startedAt: at,
    renewedAt: at,
    ...(keepCheckpoint && held?.checkpoint !== undefined ? { checkpoint: held.checkpoint } : {}),
  };
}

/** The version a store holds for `key`, checked against what a writer expects. */
export function versionMatches(stored: AlertState | undefined, expected: number | null): boolean {
  return expected === null ? stored === undefined : stored?.version === expected;
}

/** For tests and single-process use. */
export class MemoryStore implements StateStore {
  readonly alerts = new Map<string, AlertState>();
  readonly silences: Silence[] = [];
  readonly locks = new Map<string, Lock>();

  async acquireLock(name: string, owner: string, expiresAt: Date, now: Date, o: { keepCheckpoint?: boolean } = {}): Promise<Lock | undefined> {
    const held = this.locks.get(name);
    if (!lockTakeable(held, now)) return undefined;
    const taken = takenLock(held, owner, expiresAt, now, o.keepCheckpoint);
    this.locks.set(name, taken);
    return structuredClone(taken);
  }

  async renewLock(name: string, owner: string, expiresAt: Date, now: Date): Promise<boolean> {
    const held = this.locks.get(name);
    if (!lockHeldBy(held, owner, now)) return false;
    Object.assign(held, { expiresAt: expiresAt.toISOString(), renewedAt: now.toISOString() });
    return true;
  }

  async updateLock(name: string, owner: string, checkpoint: unknown, now: Date): Promise<boolean> {
    const held = this.locks.get(name);
    if (!lockHeldBy(held, owner, now)) return false;
    held.checkpoint = structuredClone(checkpoint);
    return true;
  }

  async parkLock(name: string, owner: string, expiresAt: Date, handover: boolean): Promise<boolean> {
    const held = this.locks.get(name);
    if (held?.owner !== owner) return false;
    Object.assign(held, { expiresAt: expiresAt.toISOString(), handover });
    return true;
  }

  async releaseLock(name: string, owner: string): Promise<void> {
    if (this.locks.get(name)?.owner === owner) this.locks.delete(name);
  }

  async readLock(name: string): Promise<Lock | undefined> {
    return structuredClone(this.locks.get(name));
  }

  async listLocks(prefix: string): Promise<Array<{ name: string; lock: Lock }>> {
    return [...this.locks].filter(([n]) => n.startsWith(prefix)).map(([name, lock]) => ({ name, lock: structuredClone(lock) }));
  }

  async snapshot(lockPrefix?: string): Promise<StateSnapshot> {
    return { alerts: await this.loadAlerts(), silences: await this.listSilences(), locks: lockPrefix === undefined ? [] : await this.listLocks(lockPrefix) };
  }

  async loadAlerts(): Promise<Map<string, AlertState>> {
    return new Map([...this.alerts].map(([k, v]) => [k, structuredClone(v)]));
  }

  async loadAlert(key: string): Promise<AlertState | undefined> {
    return structuredClone(this.alerts.get(key));
  }

  async write(w: Pick<AlertWrite, 'key' | 'alert' | 'expectedVersion'>): Promise<boolean> {
    if (!versionMatches(this.alerts.get(w.key), w.expectedVersion)) return false;
    if (w.alert) this.alerts.set(w.key, structuredClone(w.alert));
    else this.alerts.delete(w.key);
    return true;
  }

  async listSilences(): Promise<Silence[]> {
    return [...this.silences];
  }

  async addSilence(s: Silence): Promise<void> {
    const i = this.silences.findIndex((x) => x.id === s.id);
    this.silences.splice(i >= 0 ? i : this.silences.length, i >= 0 ? 1 : 0, s);
  }

  async removeSilence(id: string): Promise<boolean> {
    const i = this.silences.findIndex((s) => s.id === id);
    if (i >= 0) this.silences.splice(i, 1);
    return i >= 0;
  }
}
