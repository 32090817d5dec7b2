import { randomBytes } from 'node:crypto';
import type { Config } from '../config/schema';
import type { SecretResolver } from '../config/secrets';
import { MysqlConnections } from '../probes/mysql/connections';
import type { StateStore } from '../state/store';
import { adminAccount } from './accounts';
import { executeRebuild, type ExecuteOptions, type RebuildResult } from './logical';
import { planRebuild, type RebuildPlan } from './plan';
import { resolveTarget, RunbookRefusal } from './target';

export interface RebuildRequest {
  cluster: string;
  replica: string;
  donor?: string;
  execute: boolean;
  admin?: { user?: string; password?: string };
  /** Last say before anything is written: throws RunbookRefusal to stop at the plan. */
  approve?: (plan: RebuildPlan) => void;
}

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
    const owner = `${process.env.USER ?? 'replwatch'}@${process.pid}-${randomBytes(3).toString('hex')}`;
    const lock = `rebuild/${req.cluster}`;
    const now = new Date();
    if (!(await store.acquireLock(lock, owner, new Date(now.getTime() + LOCK_MS), now))) {
      throw new RunbookRefusal(`another rebuild of cluster ${req.cluster} is running (lock ${lock}); one at a time per cluster`);
    }
    try {
      return { plan, result: await executeRebuild(plan, target, connections, secrets, admin, o) };
    } finally {
      await store.releaseLock(lock, owner);
    }
  } finally {
    await connections.closeAll();
  }
}
