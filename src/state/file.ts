import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { AlertState, AlertWrite } from '../alerting/alert';
import type { Silence } from '../alerting/silence';
import { acquire, holds, release, STALE_LOCK_MS } from './lockfile';
import { lockHeldBy, lockTakeable, takenLock, versionMatches, type Lock, type StateStore } from './store';

interface FileState {
  alerts: Record<string, AlertState>;
  silences: Silence[];
  locks: Record<string, Lock>;
}

/**
 * The CLI's state: one JSON file, replaced atomically (write, then rename). Every change is made
 * under an exclusive lock file, so two `replwatch watch` processes on the same file behave like
 * two Lambdas on one DynamoDB table: conditional writes, one page per transition.
 */
export class FileStore implements StateStore {
  constructor(readonly file: string) {}

  private async read(): Promise<FileState> {
    try {
      const parsed = JSON.parse(await readFile(this.file, 'utf8')) as Partial<FileState>;
      return { alerts: parsed.alerts ?? {}, silences: parsed.silences ?? [], locks: parsed.locks ?? {} };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { alerts: {}, silences: [], locks: {} };
      throw new Error(`${this.file}: unreadable state file: ${(e as Error).message}`);
    }
  }

  private async locked<T>(change: (s: FileState) => { result: T; changed: boolean }): Promise<T> {
    await mkdir(dirname(this.file), { recursive: true });
    const lock = `${this.file}.lock`;
    const token = await acquire(lock);
    try {
      const state = await this.read();
      const { result, changed } = change(state);
      if (changed) {
        const tmp = `${this.file}.${token.replace(' ', '.')}.tmp`;
        await writeFile(tmp, JSON.stringify(state, null, 2));
        // A holder that stalled past STALE_LOCK_MS may have been taken over: its change must
        // then not land on top of the new holder's.
        if (!(await holds(lock, token))) {
          await rm(tmp, { force: true });
          throw new Error(`${lock}: lost the state lock while holding it (stalled over ${STALE_LOCK_MS} ms)`);
        }
        await rename(tmp, this.file);
      }
      return result;
    } finally {
      await release(lock, token);
    }
  }

  async loadAlerts(): Promise<Map<string, AlertState>> {
    return new Map(Object.entries((await this.read()).alerts));
  }

  async loadAlert(key: string): Promise<AlertState | undefined> {
    return (await this.read()).alerts[key];
  }

  write(w: Pick<AlertWrite, 'key' | 'alert' | 'expectedVersion'>): Promise<boolean> {
    return this.locked((s) => {
      if (!versionMatches(s.alerts[w.key], w.expectedVersion)) return { result: false, changed: false };
      if (w.alert) s.alerts[w.key] = w.alert;
      else delete s.alerts[w.key];
      return { result: true, changed: true };
    });
  }

  async listSilences(): Promise<Silence[]> {
    return (await this.read()).silences;
  }

  addSilence(silence: Silence): Promise<void> {
    return this.locked((s) => {
      s.silences = [...s.silences.filter((x) => x.id !== silence.id), silence];
      return { result: undefined, changed: true };
    });
  }

  removeSilence(id: string): Promise<boolean> {
    return this.locked((s) => {
      const before = s.silences.length;
      s.silences = s.silences.filter((x) => x.id !== id);
      return { result: s.silences.length < before, changed: s.silences.length < before };
    });
  }

  acquireLock(name: string, owner: string, expiresAt: Date, now: Date, o: { keepCheckpoint?: boolean } = {}): Promise<Lock | undefined> {
    return this.locked((s) => {
      const held = s.locks[name];
      if (!lockTakeable(held, now)) return { result: undefined, changed: false };
      s.locks[name] = takenLock(held, owner, expiresAt, now, o.keepCheckpoint);
      return { result: s.locks[name], changed: true };
    });
  }

  renewLock(name: string, owner: string, expiresAt: Date, now: Date): Promise<boolean> {
    return this.locked((s) => {
      const held = s.locks[name];
      if (!lockHeldBy(held, owner, now)) return { result: false, changed: false };
      Object.assign(held, { expiresAt: expiresAt.toISOString(), renewedAt: now.toISOString() });
      return { result: true, changed: true };
    });
  }

  releaseLock(name: string, owner: string): Promise<void> {
    return this.locked((s) => {
      const mine = s.locks[name]?.owner === owner;
      if (mine) delete s.locks[name];
      return { result: undefined, changed: mine };
    });
  }

  parkLock(name: string, owner: string, expiresAt: Date, handover: boolean): Promise<boolean> {
    return this.locked((s) => {
      const held = s.locks[name];
      if (held?.owner !== owner) return { result: false, changed: false };
      Object.assign(held, { expiresAt: expiresAt.toISOString(), handover });
      return { result: true, changed: true };
    });
  }

  async readLock(name: string): Promise<Lock | undefined> {
    return (await this.read()).locks[name];
  }

  async listLocks(prefix: string): Promise<Array<{ name: string; lock: Lock }>> {
    return Object.entries((await this.read()).locks)
      .filter(([n]) => n.startsWith(prefix))
      .map(([name, lock]) => ({ name, lock }));
  }

  updateLock(name: string, owner: string, checkpoint: unknown, now: Date): Promise<boolean> {
    return this.locked((s) => {
      const held = s.locks[name];
      if (!lockHeldBy(held, owner, now)) return { result: false, changed: false };
      held.checkpoint = checkpoint;
      return { result: true, changed: true };
    });
  }
}
