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
import { healthyReplicaDonor, physicalAgents, planPhysical, serverNamed, type PhysicalPlan } from './physical/plan';
import { executePhysical } from './physical/execute';

export type { StrategyName } from './target';

/*
 * How a replica is rebuilt, one strategy each: the orchestration (rebuild.ts) gives every one the
 * same lock, silence, failure page and resume, and a strategy only plans and executes.
 */

/** `chosen`: why `auto` took this strategy (absent when it was asked for by name). */
export type Planned = (
  | { strategy: 'logical'; plan: RebuildPlan }
  | { strategy: 'physical'; plan: PhysicalPlan }
  | { strategy: 'rds'; plan: RdsRebuildResult; replicaId: string; command: string }
) & { chosen?: string };
export type Executed =
  | { strategy: 'logical'; result: RebuildResult }
  | { strategy: 'physical'; result: RebuildResult }
  | { strategy: 'rds'; result: RdsRebuildResult; replicaId: string };

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
  /** The dead rebuild of this replica that a resume continues: the physical plan finds the replica stopped by it. */
  unfinished?: RebuildCheckpoint;
  /** --donor was given: the physical strategy then does not pick a healthy replica to copy from. */
  donorGiven?: boolean;
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

/** Stream a backup of the donor's data files into the replica's host through their agents (MariaDB: mariabackup). */
export function physicalStrategy(i: StrategyInput): Strategy {
  const admin = adminAccount(i.target.cluster, i.admin);
  if (!admin)
    throw new RunbookRefusal(`no account to rebuild with: give --user and --password, or clusters[].admin in the config for ${i.target.cluster.name}`);
  const connections = new MysqlConnections();
  // The donor the plan picked (a healthy replica, when no --donor), which execute copies from too.
  let target = i.target;
  const pickDonor = async (): Promise<RebuildTarget | undefined> => {
    if (i.donorGiven) return undefined;
    // A resume copies from the donor its run chose.
    const resumed = i.unfinished?.physical?.donor;
    if (resumed) return resumed === i.target.primary.name ? undefined : { ...i.target, donor: serverNamed(i.target, resumed) };
    return healthyReplicaDonor(i.target, connections, i.secrets);
  };
  return {
    plan: async () => {
      const picked = await pickDonor();
      target = picked ?? i.target;
      const execute = rebuildCommands(target.cluster.name, target.replica.name, i.commands, 'physical').execute;
      const plan = await planPhysical({
        target,
        connections,
        secrets: i.secrets,
        admin,
        command: picked ? `${execute} --donor ${target.donor.name}` : execute,
        ...(i.unfinished ? { unfinished: i.unfinished } : {}),
      });
      return { planned: { strategy: 'physical', plan }, healthy: plan.replicaHealth.healthy, tables: plan.inventory.tables };
    },
    execute: async (planned, run) => {
      const agents = physicalAgents(target);
      if (typeof agents === 'string') throw new RunbookRefusal(agents);
      const result = await executePhysical({
        ...i.execution,
        ...run,
        ...(run.resume ? { resume: run.resume } : {}),
        plan: (planned as Extract<Planned, { strategy: 'physical' }>).plan,
        target,
        agents,
        connections,
        secrets: i.secrets,
        admin,
      });
      return { strategy: 'physical', result };
    },
    close: () => connections.closeAll(),
  };
}

export function strategyFor(name: StrategyName, i: StrategyInput): Strategy {
  if (name === 'rds') return rdsStrategy(i);
  return name === 'physical' ? physicalStrategy(i) : logicalStrategy(i);
}

/**
 * What `auto` means for this rebuild, and why: the strategy of the dead rebuild it resumes; else
 * physical where the donor and the replica both have an agent that can run its steps, else logical.
 */
export function chooseStrategy(target: RebuildTarget, unfinished: RebuildCheckpoint | undefined): { name: StrategyName; why: string } {
  if (unfinished)
    return { name: unfinished.strategy ?? 'logical', why: `the unfinished rebuild of ${unfinished.replica} is a ${unfinished.strategy ?? 'logical'} one` };
  const agents = physicalAgents(target);
  if (typeof agents === 'string') return { name: 'logical', why: `${agents}: the logical strategy copies over SQL` };
  return { name: 'physical', why: `${target.replica.name} and its donor have agents (${agents.replica.where}): the data files are streamed` };
}
