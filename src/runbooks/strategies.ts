import type { RDSClient } from '@aws-sdk/client-rds';
import type { Config } from '../config/schema';
import type { SecretResolver } from '../config/secrets';
import type { CommandStyle } from '../model/commands';
import { MysqlConnections } from '../mysql/connections';
import { adminAccount } from './accounts';
import { freshCheckpoint, type RebuildCheckpoint } from './checkpoint';
import { RdsRebuildTimeout, RebuildFailed, RebuildPaused, RunbookRefusal } from './errors';
import { executeRebuild, type ExecuteOptions, type RebuildResult } from './logical';
import { planRebuild, type RebuildPlan } from './plan';
import type { RdsRebuildResult } from './rds';
import { rebuildCommands, type RebuildTarget, type StrategyName } from './target';

export type { StrategyName } from './target';

/*
 * How a replica is rebuilt, one strategy each: the orchestration (rebuild.ts) gives every one the
 * same lock, silence, failure page and resume, and a strategy only plans and executes.
 */

export type Planned = { strategy: 'logical'; plan: RebuildPlan } | { strategy: 'rds'; plan: RdsRebuildResult; replicaId: string; command: string };
export type Executed = { strategy: 'logical'; result: RebuildResult } | { strategy: 'rds'; result: RdsRebuildResult; replicaId: string };

/** What the orchestration hands a strategy to execute under the lock. */
export interface StrategyRun {
  resume?: RebuildCheckpoint;
  /** Throws LeaseLost once the lock is lost: asked before every write. */
  fence: () => void;
  /** Stores where the rebuild is, for a resume. */
  checkpoint: (c: RebuildCheckpoint) => Promise<void>;
}

export interface Strategy {
  /** Reads only: what a rebuild would do. `healthy`: the replica needs none (then only --force goes on). */
  plan(): Promise<{ planned: Planned; healthy: boolean; tables: Array<{ schema: string; name: string }> }>;
  execute(planned: Planned, run: StrategyRun): Promise<Executed>;
  close(): Promise<void>;
}

export interface StrategyInput {
  config: Config;
  target: RebuildTarget;
  secrets: SecretResolver;
  admin?: { user?: string; password?: string };
  commands?: CommandStyle;
  /** The logical strategy's execution (workers, progress, pause); the rds one's client and time. */
  execution: ExecuteOptions & { rds?: () => Promise<RDSClient>; rdsTimeoutMs?: number };
}

/** Copy over SQL from the primary or a donor (MariaDB; runs anywhere, Lambda included). */
export function logicalStrategy(i: StrategyInput): Strategy {
  const admin = adminAccount(i.target.cluster, i.admin);
  if (!admin)
    throw new RunbookRefusal(`no account to rebuild with: give --user and --password, or clusters[].admin in the config for ${i.target.cluster.name}`);
  const connections = new MysqlConnections();
  return {
    plan: async () => {
      const plan = await planRebuild(i.target, connections, i.secrets, admin, i.commands);
      return { planned: { strategy: 'logical', plan }, healthy: plan.replicaHealth.healthy, tables: plan.inventory.tables };
    },
    execute: async (planned, run) => {
      const plan = (planned as Extract<Planned, { strategy: 'logical' }>).plan;
      const result = await executeRebuild({
        ...i.execution,
        ...run,
        ...(run.resume ? { resume: run.resume } : {}),
        plan,
        target: i.target,
        connections,
        secrets: i.secrets,
        admin,
      });
      return { strategy: 'logical', result };
    },
    close: () => connections.closeAll(),
  };
}

/**
 * Replace an RDS read replica by a new one that takes over its identifier and endpoint. Every
 * step looks at what exists first, so a run that stopped (a wait that ran out, a crash) goes on
 * where it was when run again; a wait that runs out is a pause, handed over like the logical one.
 */
export function rdsStrategy(i: StrategyInput): Strategy {
  const replicaId = i.target.cluster.replicas.find((r) => r.name === i.target.replica.name)?.rdsInstanceId ?? i.target.replica.name;
  const client = i.execution.rds ?? (async () => (await import('../aws/clients')).rds());
  const run = async (execute: boolean, onStep?: (step: string) => void) => {
    const { rebuildRdsReplica } = await import('./rds');
    return rebuildRdsReplica({
      rds: await client(),
      replicaId,
      execute,
      ...(i.execution.rdsTimeoutMs ? { timeoutMs: i.execution.rdsTimeoutMs } : {}),
      onEvent: (e) => {
        onStep?.(e.step);
        i.execution.onEvent?.(e);
      },
    });
  };
  return {
    plan: async () => {
      const command = rebuildCommands(i.target.cluster.name, i.target.replica.name, i.commands, 'rds').execute;
      return { planned: { strategy: 'rds', plan: await run(false), replicaId, command }, healthy: false, tables: [] };
    },
    execute: async (_planned, ctl) => {
      const cp = freshCheckpoint(i.target.replica.name, 'rds');
      let step = 'validate';
      try {
        const result = await run(true, (s) => {
          ctl.fence();
          // A store that fails here loses nothing: each RDS step looks at what exists first.
          if (s !== step) void ctl.checkpoint({ ...cp, step: (step = s) }).catch(() => undefined);
        });
        return { strategy: 'rds', result, replicaId };
      } catch (e) {
        if (e instanceof RdsRebuildTimeout) throw new RebuildPaused({ ...cp, step: e.step }, e.message);
        if (e instanceof RunbookRefusal) throw e;
        throw new RebuildFailed(step, e as Error, `the old replica ${replicaId} keeps serving until the new one takes its name`);
      }
    },
    close: async () => undefined,
  };
}

export function strategyFor(name: StrategyName, i: StrategyInput): Strategy {
  return name === 'rds' ? rdsStrategy(i) : logicalStrategy(i);
}
