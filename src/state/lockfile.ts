import { createHash, randomBytes } from 'node:crypto';
import { link, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { sleep } from '../util/deadline';

const WAIT_MS = 5000;
/** A lock held longer than this was left by a process that stalled or died holding it. */
export const STALE_LOCK_MS = 10_000;

/**
 * What a lock file is (inode, mtime, content: a token unique to its holder) when it is stale:
 * left by a process that died (its pid is gone from this host), or held far longer than any
 * change takes. Undefined while it is live, or gone.
 */
async function staleIdentity(file: string): Promise<string | undefined> {
  const [content, s] = await Promise.all([readFile(file, 'utf8').catch(() => undefined), stat(file).catch(() => undefined)]);
  if (content === undefined || !s) return undefined;
  const identity = `${s.ino}/${s.mtimeMs}/${content}`;
  if (Date.now() - s.mtimeMs > STALE_LOCK_MS) return identity;
  const pid = Number(content.split(' ')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return undefined;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH' ? identity : undefined;
  }
}

async function identityOf(file: string): Promise<string | undefined> {
  const [content, s] = await Promise.all([readFile(file, 'utf8').catch(() => undefined), stat(file).catch(() => undefined)]);
  return content === undefined || !s ? undefined : `${s.ino}/${s.mtimeMs}/${content}`;
}

/**
 * Removes the stale lock `dead` (its identity), if this process is the one to: true if it did.
 * Takers that found the same stale lock race for a claim file named after it (O_EXCL), so one of
 * them removes it; the others must not, since by the time they act the name may hold the lock the
 * winner took since (removing that is how two processes came to hold one lock).
 */
async function takeOver(lock: string, dead: string): Promise<boolean> {
  const claim = `${lock}.takeover.${createHash('sha256').update(dead).digest('hex').slice(0, 16)}`;
  let handle;
  try {
    handle = await open(claim, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    // Left by a taker that died between its claim and its removal: nobody else can finish it.
    if (await staleIdentity(claim)) await rm(claim, { force: true });
    return false;
  }
  try {
    await handle.writeFile(`${process.pid}`);
    await handle.close();
    // A claim of this name may have been taken, used and removed before ours: then `dead` is gone.
    if ((await identityOf(lock)) !== dead) return false;
    const aside = `${claim}.aside`;
    try {
      await rename(lock, aside);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return true;
      throw e;
    }
    // Only a holder that was stale by age, not dead, can have released and someone relocked in
    // between: that lock goes back (unless yet another has been created meanwhile; its holder
    // then finds it lost before its change lands).
    if ((await identityOf(aside)) !== dead) await link(aside, lock).catch(() => undefined);
    await rm(aside, { force: true });
    return true;
  } finally {
    await rm(claim, { force: true });
  }
}

/** Takes the lock file `lock` (created with O_EXCL), taking over a stale one; the holder's token. */
export async function acquire(lock: string): Promise<string> {
  const token = `${process.pid} ${randomBytes(6).toString('hex')}`;
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    try {
      const handle = await open(lock, 'wx');
      await handle.writeFile(token);
      await handle.close();
      return token;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const dead = await staleIdentity(lock);
    if (dead && (await takeOver(lock, dead))) continue;
    if (Date.now() > deadline) throw new Error(`${lock}: state file locked for over ${WAIT_MS} ms`);
    await sleep(5 + Math.random() * 10);
  }
}

/** Whether `token` still holds `lock`: a holder that stalled past STALE_LOCK_MS may have been taken over. */
export async function holds(lock: string, token: string): Promise<boolean> {
  return (await readFile(lock, 'utf8').catch(() => '')) === token;
}

export async function release(lock: string, token: string): Promise<void> {
  if (await holds(lock, token)) await rm(lock, { force: true });
}
