import { randomBytes } from 'node:crypto';
import type { Config } from '../config/schema';
import type { SecretResolver } from '../config/secrets';
import { MysqlConnections } from '../probes/mysql/connections';
import type { StateStore } from '../state/store';
import { adminAccount } from './accounts';
import { executeRebuild, RebuildFailed, RebuildPaused, type ExecuteOptions, type RebuildCheckpoint, type RebuildResult } from './logical';
import { planRebuild, type RebuildPlan } from './plan';
import { resolveTarget, RunbookRefusal } from './target';

export interface RebuildRequest {
  cluster: string;
  replica: string;
  donor?: string;
  execute: boolean;
  /** Continue a rebuild that stopped unfinished (crash, Ctrl-C, failure) from its checkpoint. */
  resume?: boolean;
  admin?: { user?: string; password?: string };
  /** Last say before anything is written: throws RunbookRefusal to stop at the plan. */
  approve?: (plan: RebuildPlan) => void;
}

/** Longer than a sample's probes take (each under its own deadline): no sample outlasts it. */
const SETTLE_MS = 10_000;

/** How long the per-cluster lock holds without being released (a crashed run frees it then). */
const LOCK_MS = 6 * 3_600_000;

/**
 * `rebuild-replica`: plan (reads only), and with `execute` the logical rebuild under the
 * cluster's lock, so only one rebuild runs per cluster. Shared by the CLI and the Lambda.
 */
export async function rebuildReplica(config: Config, req: RebuildRequest, secrets: SecretResolver, store: StateStore, o: ExecuteOptions = {}): Promise<{ plan: RebuildPlan; result?: RebuildResult }> {
  const target = resolveTarget(config, req.cluster, req.replica, req.donor);
  const admin = adminAccount(target.cluster, req.admin);
  if (!admin) throw new RunbookRefusal(`no account to rebuild with: give --user and --password, or clusters[].admin in the config for ${req.cluster}`);
  const connections = new MysqlConnections();
  try {
    const plan = await planRebuild(target, connections, secrets, admin);
    if (!req.execute) return { plan };
    req.approve?.(plan);
    const lock = `rebuild/${req.cluster}`;
    const now = new Date();
    const held = await store.readLock(lock);
    const checkpoint = held?.checkpoint as RebuildCheckpoint | undefined;
    let owner = `${process.env.USER ?? 'replwatch'}@${process.pid}-${randomBytes(3).toString('hex')}`;
    if (req.resume) {
      if (!held || checkpoint?.replica !== req.replica) throw new RunbookRefusal(`no unfinished rebuild of ${req.replica} in cluster ${req.cluster} to resume`);
      owner = held.owner;
    }
    if (!(await store.acquireLock(lock, owner, new Date(now.getTime() + LOCK_MS), now))) {
      throw new RunbookRefusal(
        checkpoint
          ? `a rebuild of ${checkpoint.replica} in cluster ${req.cluster} stopped unfinished (${checkpoint.tablesDone.length} table(s) copied); continue it with --resume`
          : `another rebuild of cluster ${req.cluster} is running (lock ${lock}); one at a time per cluster`,
      );
    }
    // The monitor sees the replica stopped and behind while it is rebuilt: that is the repair,
    // not a new incident, so its pages are held (a silence anyone can list) until it is done.
    const silence = { id: `rebuild/${req.cluster}/${req.replica}`, cluster: req.cluster, target: req.replica, from: now.toISOString(), createdBy: owner };
    await store.addSilence({ ...silence, to: new Date(now.getTime() + LOCK_MS).toISOString(), reason: `rebuild-replica of ${req.replica} is running` });
    let keepLock = false;
    let paused = false;
    try {
      const result = await executeRebuild(plan, target, connections, secrets, admin, {
        ...o,
        ...(req.resume && checkpoint ? { resume: checkpoint } : {}),
        checkpoint: async (c) => {
          await store.updateLock(lock, owner, c);
        },
      });
      return { plan, result };
    } catch (e) {
      // A failed or paused copy keeps the lock and its checkpoint, so --resume goes on from there.
      paused = e instanceof RebuildPaused;
      keepLock = e instanceof RebuildFailed || paused;
      if (e instanceof RebuildFailed) {
        // Why it stopped stays with the checkpoint, for whoever looks next (or resumes).
        const held = await store.readLock(lock);
        await store.updateLock(lock, owner, { ...(held?.checkpoint as object), failure: { step: e.step, message: e.message, at: new Date().toISOString() } });
      }
      throw e;
    } finally {
      if (!keepLock) await store.releaseLock(lock, owner);
      // A paused rebuild goes on in its next invocation. Otherwise the silence ends shortly: a
      // sample whose probes ran during the rebuild (the replica stopped) may be paged just after
      // it, and must still be held; a failed rebuild has paged RebuildFailed already.
      if (!paused) {
        await store.removeSilence(silence.id);
        await store.addSilence({ ...silence, to: new Date(Date.now() + SETTLE_MS).toISOString(), reason: `rebuild-replica of ${req.replica} just ended; held for samples taken during it` });
      }
    }
  } finally {
    await connections.closeAll();
  }
}
