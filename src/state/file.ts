import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { AlertState, AlertWrite } from '../alerting/alert';
import type { Silence } from '../alerting/silence';
import { shellWord } from '../util/printed';
import { acquire, holds, release, STALE_LOCK_MS } from './lockfile';
import { fileStateSchema, firstProblem, StateStoreError } from './schema';
import { lapsed, lockHeldBy, lockTakeable, takenLock, versionMatches, type Lock, type StateSnapshot, type StateStore } from './store';

interface FileState {
  alerts: Record<string, AlertState>;
  silences: Silence[];
  locks: Record<string, Lock>;
}

const emptyState = (): FileState => ({ alerts: {}, silences: [], locks: {} });

/** Why `text` is not a state file, or undefined with the state when it is one. */
function parseState(text: string): { state?: FileState; problem?: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problem: text.trim() === '' ? 'the file is empty' : 'not JSON' };
  }
  const result = fileStateSchema.safeParse(value);
  // Locks are checked as objects only: their fields are the lock code's.
  return result.success ? { state: result.data as unknown as FileState } : { problem: firstProblem(result.error) };
}

/**
 * What a damaged state file's rebuild locks become. When its JSON parses, its locks (an object of
 * objects) are `kept`: carried into the fresh state, so neither a running rebuild's lease nor a
 * dead one's checkpoint (the half-rebuilt replica's RebuildFailed and its --resume) is lost with
 * the alerts. When it does not parse (truncated, garbage around it), any lease that has not lapsed
 * and any checkpoint are `unsalvageable`: found by their text, as `a lock until T` or `a checkpoint`.
 */
export function locksIn(text: string, now: Date): { kept: Record<string, Lock>; unsalvageable: string[] } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    const live = [...text.matchAll(/"expiresAt"\s*:\s*"([^"]*)"/g)]
      .filter((m) => !lapsed({ owner: '', expiresAt: m[1]! }, now))
      .map((m) => `a lock until ${m[1]}`);
    return { kept: {}, unsalvageable: /"checkpoint"\s*:/.test(text) ? [...live, 'a checkpoint'] : live };
  }
  const locks = (value as { locks?: unknown } | null)?.locks;
  if (locks === null || typeof locks !== 'object' || Array.isArray(locks)) return { kept: {}, unsalvageable: [] };
  const kept = Object.fromEntries(Object.entries(locks).filter(([, l]) => l !== null && typeof l === 'object' && !Array.isArray(l))) as Record<string, Lock>;
  return { kept, unsalvageable: [] };
}

/** An error of the file system itself (EACCES, EISDIR, ENOSPC, EIO...), as one line naming the file. */
function storeError(file: string, what: string, e: unknown): Error {
  if (e instanceof StateStoreError) return e;
  const code = (e as NodeJS.ErrnoException).code;
  return new StateStoreError(`${file}: cannot ${what} the state file (${code ? `${code}: ` : ''}${(e as Error).message.replace(/^\w+: /, '')})`);
}

/**
 * The state file's own directory (`.replwatch` beside the config), made when missing; never its
 * parents. A recursive mkdir would make a whole path a typo named (and on Linux, Node's recursive
 * mkdir under /proc gets ENOENT forever and never returns): a missing parent is an error naming it.
 */
async function ensureDir(dir: string): Promise<void> {
  try {
    await mkdir(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    if (code === 'ENOENT') throw new StateStoreError(`${dir}: the state file's directory cannot be made: ${dirname(dir)} does not exist`);
    throw new StateStoreError(`${dir}: cannot make the state file's directory (${code ?? (e as Error).message})`);
  }
}

/**
 * The CLI's state: one JSON file, replaced atomically (write, then rename). Every change is made
 * under an exclusive lock file, so two `replwatch watch` processes on the same file behave like
 * two Lambdas on one DynamoDB table: conditional writes, one page per transition.
 *
 * A file that is not a valid state (garbage, empty, hand-edited into wrong shapes) is renamed aside
 * to `<file>.damaged-<time>`, kept for whoever wants what it held, `notice` says so once (the
 * file is gone after), and a fresh state starts. A file that cannot be read or written at all is a
 * StateStoreError.
 */
export class FileStore implements StateStore {
  constructor(
    readonly file: string,
    private readonly notice: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
    /** For commands that only read (check, a plan): a damaged file is an error, left where it is for the watcher or the rebuild to set aside. */
    private readonly o: { readOnly?: boolean } = {},
  ) {}

  /** The state. A damaged file is set aside only under the lock (`locked`): read outside it, the lock is taken for that. */
  private async read(locked = false): Promise<FileState> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return emptyState();
      throw storeError(this.file, 'read', e);
    }
    const { state, problem } = parseState(text);
    if (state) return state;
    const { kept, unsalvageable } = locksIn(text, new Date());
    if (this.o.readOnly && unsalvageable.length === 0) {
      throw new StateStoreError(
        `${this.file} is not a valid state file (${problem}): left as it is, as this command only reads; replwatch watch or a rebuild sets it aside`,
      );
    }
    // Only under the lock: a second process may be setting it aside too, or have written a
    // fresh state since; the file is read again there, and only what is still damaged moves.
    if (!locked && !this.o.readOnly) return this.locked((s) => ({ result: s, changed: false }));
    if (unsalvageable.length > 0) {
      const aside = `${this.file}.damaged`;
      throw new StateStoreError(
        `${this.file} is damaged (${problem}) and holds rebuild state that cannot be read out of it (${unsalvageable.join('; ')}): it is not set aside, which would let a second rebuild start while one runs, or forget a half-rebuilt replica; mend its JSON by hand, or once no rebuild runs and none is to be resumed, move it aside: mv ${shellWord(this.file)} ${shellWord(aside)}`,
      );
    }
    const aside = `${this.file}.damaged-${new Date().toISOString()}`;
    try {
      await rename(this.file, aside);
    } catch (e) {
      throw storeError(this.file, 'set aside', e);
    }
    const fresh = { ...emptyState(), locks: kept };
    const carried = Object.keys(kept);
    if (carried.length > 0) {
      const tmp = `${this.file}.carried.tmp`;
      try {
        await writeFile(tmp, JSON.stringify(fresh, null, 2));
        await rename(tmp, this.file);
      } catch (e) {
        await rm(tmp, { force: true });
        throw storeError(this.file, 'write', e);
      }
    }
    this.notice(
      `replwatch: ${this.file} is not a valid state file (${problem}): moved aside to ${aside} (kept), and a fresh state started${carried.length ? ` with its rebuild locks (${carried.join(', ')})` : ''}; alerts it held page again as new, silences it held are in that file`,
    );
    return fresh;
  }

  private async locked<T>(change: (s: FileState) => { result: T; changed: boolean }): Promise<T> {
    const lock = `${this.file}.lock`;
    let token: string;
    try {
      await ensureDir(dirname(this.file));
      token = await acquire(lock);
    } catch (e) {
      throw storeError(this.file, 'lock', e);
    }
    try {
      const state = await this.read(true);
      const { result, changed } = change(state);
      if (changed) {
        const tmp = `${this.file}.${token.replace(' ', '.')}.tmp`;
        await writeFile(tmp, JSON.stringify(state, null, 2)).catch(async (e: unknown) => {
          await rm(tmp, { force: true });
          throw storeError(this.file, 'write', e);
        });
        // A holder that stalled past STALE_LOCK_MS may have been taken over: its change must
        // then not land on top of the new holder's.
        if (!(await holds(lock, token))) {
          await rm(tmp, { force: true });
          throw new StateStoreError(`${lock}: lost the state lock while holding it (stalled over ${STALE_LOCK_MS} ms)`);
        }
        await rename(tmp, this.file).catch((e: unknown) => {
          throw storeError(this.file, 'write', e);
        });
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
    return locksUnder((await this.read()).locks, prefix);
  }

  async snapshot(lockPrefix?: string): Promise<StateSnapshot> {
    const s = await this.read();
    return { alerts: new Map(Object.entries(s.alerts)), silences: s.silences, locks: lockPrefix === undefined ? [] : locksUnder(s.locks, lockPrefix) };
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

const locksUnder = (locks: Record<string, Lock>, prefix: string) =>
  Object.entries(locks)
    .filter(([n]) => n.startsWith(prefix))
    .map(([name, lock]) => ({ name, lock }));
