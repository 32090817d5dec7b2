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
  addSilence(s: Silence): Promise<void>;
  removeSilence(id: string): Promise<boolean>;
  /** Takes `name` for `owner` until `expiresAt`, unless someone else holds it; false then. */
  acquireLock(name: string, owner: string, expiresAt: Date, now: Date): Promise<boolean>;
  releaseLock(name: string, owner: string): Promise<void>;
  readLock(name: string): Promise<Lock | undefined>;
  /** Records progress on a lock its owner holds (a rebuild's checkpoint); false if not held. */
  updateLock(name: string, owner: string, checkpoint: unknown): Promise<boolean>;
}

export interface Lock {
  owner: string;
  expiresAt: string;
  checkpoint?: unknown;
}

/** Whether `owner` may take a lock now held as `held` (free, expired, or already its own). */
export function lockFree(held: Lock | undefined, owner: string, now: Date): boolean {
  return !held || held.owner === owner || Date.parse(held.expiresAt) <= now.getTime();
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

  async acquireLock(name: string, owner: string, expiresAt: Date, now: Date): Promise<boolean> {
    const held = this.locks.get(name);
    if (!lockFree(held, owner, now)) return false;
    this.locks.set(name, { ...(held?.owner === owner ? held : {}), owner, expiresAt: expiresAt.toISOString() });
    return true;
  }

  async releaseLock(name: string, owner: string): Promise<void> {
    if (this.locks.get(name)?.owner === owner) this.locks.delete(name);
  }

  async readLock(name: string): Promise<Lock | undefined> {
    return structuredClone(this.locks.get(name));
  }

  async updateLock(name: string, owner: string, checkpoint: unknown): Promise<boolean> {
    const held = this.locks.get(name);
    if (held?.owner !== owner) return false;
    held.checkpoint = structuredClone(checkpoint);
    return true;
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
    this.silences.push(s);
  }

  async removeSilence(id: string): Promise<boolean> {
    const i = this.silences.findIndex((s) => s.id === id);
    if (i >= 0) this.silences.splice(i, 1);
    return i >= 0;
  }
}
