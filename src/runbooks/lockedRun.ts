import { alertKey } from '../alerting/alert';
import type { Config } from '../config/schema';
import type { SecretResolver } from '../config/secrets';
import { rebuildFindings, rebuildSilenceId } from '../health/rebuilds';
import type { StateStore } from '../state/store';
import { freshCheckpoint, parseCheckpoint, type RebuildCheckpoint } from './checkpoint';
import { LeaseLost, RebuildFailed, RebuildPaused } from './errors';
import { Lease } from './lease';
import { pageRebuild } from './paging';
import type { RebuildRequest } from './rebuild';
import type { Executed, StrategyName, StrategyRun } from './strategies';
import { resumeCommand } from './target';

/** Longer than a sample's probes take (each under its own deadline): no sample outlasts it. */
const SETTLE_MS = 10_000;

export interface LockedRunOptions {
  config: Config;
  req: RebuildRequest;
  secrets: SecretResolver;
  store: StateStore;
  strategy: StrategyName;
  lockName: string;
  owner: string;
  leaseMs: number;
  takenAt: Date;
  resume?: RebuildCheckpoint;
  /** The dead run this one continues: its incident stays open until this one ends. */
  continues?: string;
  /** This run's flags, recorded in every checkpoint for the resume command (checkpoint.ts `flags`). */
  flags?: string;
}

/**
 * One rebuild under the cluster's lock, whatever the strategy: the lease renewed while it runs,
 * the silence that holds what the replica shows meanwhile, and how it ends (released and
 * resolved, handed over, or failed: parked with why, paged, resumable).
 */
export class LockedRun {
  private readonly silenceId: string;
  private readonly running: string;

  constructor(private readonly o: LockedRunOptions) {
    this.silenceId = rebuildSilenceId(o.req.cluster, o.req.replica);
    this.running = `rebuild-replica of ${o.req.replica} is running (${o.owner})${o.continues ? `, continuing the dead run ${o.continues}` : ''}`;
  }

  async execute(strategyExecute: (run: StrategyRun) => Promise<Executed>): Promise<Executed> {
    const { store, lockName, owner, leaseMs, takenAt, resume, continues } = this.o;
    await this.silence(new Date(takenAt.getTime() + leaseMs), this.running, Boolean(continues));
    if (continues) await store.updateLock(lockName, owner, this.stamped(resume ?? freshCheckpoint(this.o.req.replica, this.o.strategy)), new Date());
    const lease = new Lease(store, lockName, owner, leaseMs, takenAt, (end) => this.silence(end, this.running, Boolean(continues)));
    lease.start();
    try {
      const executed = await strategyExecute({
        ...(resume ? { resume } : {}),
        fence: () => lease.fence(),
        checkpoint: async (c) => {
          lease.fence();
          if (!(await store.updateLock(lockName, owner, this.stamped(c), new Date()))) await lease.refused();
        },
      });
      lease.stop();
      await this.finished();
      return executed;
    } catch (e) {
      lease.stop();
      if (e instanceof LeaseLost) throw e;
      if (e instanceof RebuildPaused) throw await this.handedOver(e);
      if (e instanceof RebuildFailed) throw await this.parkFailed(e);
      // Refused before anything was written (a server_id or engine check): nothing to resume.
      await store.releaseLock(lockName, owner).catch(() => undefined);
      await store.removeSilence(this.silenceId).catch(() => undefined);
      throw e;
    }
  }

  /** Every checkpoint of a run that continues a dead one says so: its incident is open until the end. */
  private stamped(c: RebuildCheckpoint): RebuildCheckpoint {
    const { flags, continues } = this.o;
    return { ...c, ...(flags ? { flags } : {}), ...(continues ? { continues } : {}) };
  }

  /**
   * The monitor sees the replica stopped and behind while it is rebuilt: that is the repair, not
   * a new incident, so its findings are held (a silence anyone can list) as long as the lease
   * lives, and a sample's worth beyond it; never the RebuildFailed about this very rebuild once
   * it has stopped, and, while a run continues a dead one, that one's RebuildFailed too: held
   * firing, resolved when the run finishes, not when it starts.
   */
  private silence(to: Date, reason: string, holdOwn = false): Promise<void> {
    const { req } = this.o;
    return this.o.store.addSilence({
      id: this.silenceId,
      cluster: req.cluster,
      target: req.replica,
      exceptCodes: holdOwn ? [] : ['RebuildFailed'],
      from: this.o.takenAt.toISOString(),
      to: new Date(to.getTime() + SETTLE_MS).toISOString(),
      reason,
      createdBy: this.o.owner,
    });
  }

  private page(findings: Parameters<typeof pageRebuild>[0]['findings'], now: Date) {
    const { config, store, secrets, req } = this.o;
    return pageRebuild({ config, store, sinks: req.sinks ?? [], secrets, at: { cluster: req.cluster, replica: req.replica }, findings, now });
  }

  private async finished(): Promise<void> {
    await this.o.store.releaseLock(this.o.lockName, this.o.owner);
    // A sample whose probes ran during the rebuild (the replica stopped) may be paged just after it.
    await this.silence(new Date(), `rebuild-replica of ${this.o.req.replica} just ended; held for samples taken during it`);
    if (this.o.req.sinks) await this.page([], new Date()).catch(() => undefined);
  }

  /**
   * Its next run takes the lock over with --resume (a hand-over, not a takeover); if none starts,
   * the lease lapses and the monitor pages the unfinished rebuild.
   */
  private async handedOver(e: RebuildPaused): Promise<RebuildPaused> {
    const { store, lockName, owner } = this.o;
    const end = new Date(Date.now() + this.o.leaseMs);
    await store.updateLock(lockName, owner, this.stamped(e.checkpoint), new Date()).catch(() => undefined);
    await store.parkLock(lockName, owner, end, true);
    await this.silence(end, `rebuild-replica of ${this.o.req.replica} is handed to its next run`, Boolean(this.o.continues));
    return e;
  }

  /**
   * A failed rebuild keeps its lock and checkpoint, with why it stopped, so --resume goes on from
   * there; its lease ends now (this run is over: the rebuild is dead, not running) and the
   * failure is paged as the monitor will find it. A store that fails here loses nothing: the
   * lease lapses by itself, and the monitor pages the rebuild as dead.
   */
  private async parkFailed(e: RebuildFailed): Promise<RebuildFailed | LeaseLost> {
    const { store, lockName, owner, req } = this.o;
    e.resume = resumeCommand(req.cluster, req.replica, req.commands, this.o.strategy, this.o.flags);
    try {
      // A run that failed before its first checkpoint has still stopped the replica (its cleanup).
      const cp = this.stamped(parseCheckpoint((await store.readLock(lockName))?.checkpoint) ?? freshCheckpoint(req.replica, this.o.strategy));
      const now = new Date();
      if (!(await store.updateLock(lockName, owner, { ...cp, failure: { step: e.step, message: e.reason, at: now.toISOString() } }, now))) {
        return new LeaseLost(`${owner} no longer holds ${lockName}: the failure is the new holder's to handle`);
      }
      await store.parkLock(lockName, owner, now, false);
      await this.silence(now, `rebuild-replica of ${req.replica} failed; held for samples taken during it`);
      if (!req.sinks) return e;
      const parked = await store.readLock(lockName);
      const findings = parked ? rebuildFindings([{ name: lockName, lock: parked }], now, req.commands) : [];
      const paged = await this.page(findings, now);
      const heldBy = [...paged.held.values()][0];
      const sent = paged.sent.length > 0 && paged.failed.length === 0;
      const errors = paged.failed.flatMap((f) => f.errors);
      // Neither sent, refused nor held: the alert is another page's (already firing, or another run's).
      const other = !sent && errors.length === 0 && !heldBy ? await this.notPagedWhy(findings, paged.lostRaces) : undefined;
      e.page = { sent, errors, ...(heldBy ? { held: heldBy } : {}), ...(other ? { already: other } : {}) };
    } catch (storeError) {
      e.page = { sent: false, errors: [`state store: ${(storeError as Error).message}; the monitor pages it once its lease lapses`] };
    }
    return e;
  }

  /** Why the failure's RebuildFailed was not paged when nothing refused or held it. */
  private async notPagedWhy(findings: readonly unknown[], lostRaces: number): Promise<string> {
    const key = alertKey({ code: 'RebuildFailed', cluster: this.o.req.cluster, target: this.o.req.replica });
    if (findings.length === 0) return 'the lock held no checkpoint to page from; the monitor pages the rebuild once it finds it dead';
    const a = await this.o.store.loadAlert(key).catch(() => undefined);
    if (a?.status === 'firing') {
      return `its alert ${key} was already firing (since ${a.firedAt ?? a.firstSeenAt}, last paged ${a.lastPagedAt ?? 'never'}${a.finding.summary ? `: ${a.finding.summary}` : ''}), so it was not paged again; it repeats while it fires`;
    }
    if (lostRaces > 0) return `another run (a watcher) wrote the alert ${key} first, and pages it`;
    return `its alert ${key} is ${a ? a.status : 'not in the state store'}: the monitor pages it`;
  }
}
