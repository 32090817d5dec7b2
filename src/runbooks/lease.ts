import { lambdaEnvironment } from '../lambda/environment';
import { pidRuns } from '../util/pids';
import { randomBytes } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import type { StateStore } from '../state/store';
import { LeaseLost } from './errors';

/** How long a rebuild's lock outlives a run that stopped renewing it (killed, crashed, stalled). */
export const LEASE_MS = 60_000;

/** This run no longer holds its lease: someone may have taken the replica over, so it stops writing at once. */
/** Who holds a lock, for whoever finds it held: user, host, process, and a nonce of this run. */
export function ownerId(): string {
  let user = process.env.USER ?? 'replwatch';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry for this uid (a container): $USER or the default will do.
  }
  return `${user}@${hostname()} pid ${process.pid} #${randomBytes(3).toString('hex')}`;
}

/**
 * Whether the run named by an `ownerId()` is alive, when this process can tell: its host is this
 * host and its pid is gone (false) or there (true). Undefined for another host, a Lambda (whose
 * containers may share a host name, each with its own pids) or an id of another shape: then only
 * the lease's lapsing tells.
 */
export function ownerAlive(owner: string, env: NodeJS.ProcessEnv = process.env): boolean | undefined {
  const m = /^[^@\s]+@(\S+) pid (\d+) #\w+$/.exec(owner);
  if (!m || m[1] !== hostname() || lambdaEnvironment.isLambda(env)) return undefined;
  const pid = Number(m[2]);
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  return pid === process.pid || pidRuns(pid);
}

/**
 * A run's hold on a lock it took: renewed every quarter of the lease while the run goes on. The
 * run asks `fence()` before each write; it throws once the lease is not this run's for certain:
 * a renewal or a checkpoint write was refused (someone took it over), or no renewal has landed
 * for three quarters of a lease (it may lapse, and be taken, before the run hears of it).
 */
export class Lease {
  private timer: NodeJS.Timeout | undefined;
  private lost: string | undefined;
  private renewing = false;
  /** Until when this run knows it holds the lease: from the start of its last renewal that landed. */
  private until: number;

  constructor(
    private readonly store: StateStore,
    readonly name: string,
    readonly owner: string,
    readonly ms: number,
    takenAt: Date,
    /** What else lives as long as the lease (the replica's silence), extended on each renewal. */
    private readonly onRenew: (end: Date) => Promise<void>,
  ) {
    this.until = takenAt.getTime() + ms;
  }

  start(): void {
    this.timer = setInterval(() => void this.renew(), this.ms / 4);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async renew(): Promise<void> {
    if (this.renewing || this.lost) return;
    this.renewing = true;
    const now = new Date();
    const end = new Date(now.getTime() + this.ms);
    try {
      if (!(await this.store.renewLock(this.name, this.owner, end, now))) {
        await this.markLost();
        return;
      }
      this.until = end.getTime();
      await this.onRenew(end).catch(() => undefined);
    } catch {
      // The store did not answer: the next tick tries again, and fence() stops the run if none lands in time.
    } finally {
      this.renewing = false;
    }
  }

  /** Throws LeaseLost once this run may no longer write as the lock's holder. */
  fence(): void {
    if (!this.lost && Date.now() >= this.until - this.ms / 4) {
      this.lost = `its lease of ${this.name} was not renewed in time (it ends ${new Date(this.until).toISOString()}; the state store did not answer, or this process stalled)`;
    }
    if (this.lost) throw new LeaseLost(this.lost);
  }

  /** A write conditional on holding the lease was refused: this run lost it; who has it now, if anyone. */
  async refused(): Promise<never> {
    await this.markLost();
    throw new LeaseLost(this.lost);
  }

  private async markLost(): Promise<void> {
    if (this.lost) return;
    const now = await this.store.readLock(this.name).catch(() => undefined);
    this.lost =
      now && now.owner !== this.owner
        ? `${now.owner} took over ${this.name} at ${now.startedAt ?? '?'}`
        : `its lease of ${this.name} lapsed before it could renew it`;
  }
}
