import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { AlertState, AlertWrite } from '../alerting/alert';
import type { Silence } from '../alerting/silence';
import { sleep } from '../util/deadline';
import { lockFree, versionMatches, type Lock, type StateStore } from './store';

interface FileState {
  alerts: Record<string, AlertState>;
  silences: Silence[];
  locks: Record<string, Lock>;
}

const LOCK_WAIT_MS = 5000;
/** A lock older than this was left by a process that died holding it. */
const STALE_LOCK_MS = 10_000;

/** Left by a process that died (its pid is gone from this host), or held far longer than any change takes. */
async function stale(lock: string): Promise<boolean> {
  const [holder, age] = await Promise.all([readFile(lock, 'utf8').catch(() => ''), stat(lock).then((s) => Date.now() - s.mtimeMs, () => 0)]);
  const pid = Number(holder.split(' ')[0]);
  if (age > STALE_LOCK_MS) return true;
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
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
    const token = `${process.pid} ${randomBytes(6).toString('hex')}`;
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      try {
        const handle = await open(lock, 'wx');
        await handle.writeFile(token);
        await handle.close();
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        if (await stale(lock)) {
          // Moved aside, not deleted: of two processes that both found it stale, one rename
          // wins and the other's fails (ENOENT), so they cannot both remove a lock and take it.
          await rename(lock, `${lock}.stale.${token.replace(' ', '.')}`).then((r) => rm(`${lock}.stale.${token.replace(' ', '.')}`, { force: true }).then(() => r), () => undefined);
        } else if (Date.now() > deadline) throw new Error(`${lock}: state file locked for over ${LOCK_WAIT_MS} ms`);
        else await sleep(5 + Math.random() * 10);
      }
    }
    try {
      const state = await this.read();
      const { result, changed } = change(state);
      if (changed) {
        const tmp = `${this.file}.${process.pid}.tmp`;
        await writeFile(tmp, JSON.stringify(state, null, 2));
        // Still ours? A holder that stalled past STALE_LOCK_MS may have been taken over: its
        // change must then not land on top of the new holder's.
        if ((await readFile(lock, 'utf8').catch(() => '')) !== token) {
          await rm(tmp, { force: true });
          throw new Error(`${lock}: lost the state lock while holding it (stalled over ${STALE_LOCK_MS} ms)`);
        }
        await rename(tmp, this.file);
      }
      return result;
    } finally {
      if ((await readFile(lock, 'utf8').catch(() => '')) === token) await rm(lock, { force: true });
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
      s.silences.push(silence);
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

  acquireLock(name: string, owner: string, expiresAt: Date, now: Date): Promise<boolean> {
    return this.locked((s) => {
      const held = s.locks[name];
      if (!lockFree(held, owner, now)) return { result: false, changed: false };
      s.locks[name] = { ...(held?.owner === owner ? held : {}), owner, expiresAt: expiresAt.toISOString() };
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

  async readLock(name: string): Promise<Lock | undefined> {
    return (await this.read()).locks[name];
  }

  updateLock(name: string, owner: string, checkpoint: unknown): Promise<boolean> {
    return this.locked((s) => {
      const held = s.locks[name];
      if (held?.owner !== owner) return { result: false, changed: false };
      held.checkpoint = checkpoint;
      return { result: true, changed: true };
    });
  }
}
