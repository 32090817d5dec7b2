import type { Config } from '../config/schema';
import type { CommandStyle } from '../model/commands';
import type { SecretResolver } from '../config/secrets';
import { rebuildLockName } from '../health/rebuilds';
import type { PageSink } from '../sinks/pages';
import { lapsed, lockTakeable, type Lock, type StateStore } from '../state/store';
import { parseCheckpoint, progressText, upgradeCheckpoint, type RebuildCheckpoint } from './checkpoint';
import { LEASE_MS, ownerAlive, ownerId } from './lease';
import { RunbookRefusal } from './errors';
import { LockedRun } from './lockedRun';
import { physicalAgents } from './physical/plan';
import { chooseStrategy, strategyFor, type Executed, type Planned, type StrategyInput, type StrategyName } from './strategies';
import { mergeFlags, PASSWORD_ENV, passwordNote, rebuildCommands, resolveTarget, resumeCommand, type StrategyChoice } from './target';
import { shellWord } from '../util/printed';
import { isSecretReference } from '../config/secrets';
import { DEFAULT_WORKERS } from './logical';

export interface RebuildRequest {
  cluster: string;
  replica: string;
  donor?: string;
  /** auto (default), logical, physical or rds: see StrategyChoice. */
  strategy?: StrategyChoice;
  execute: boolean;
  /** Continue a rebuild that stopped unfinished (crash, Ctrl-C, failure, a Lambda hand-over) from its checkpoint. */
  resume?: boolean;
  /** Rebuild a replica that is healthy, or start over a dead rebuild's copy, without asking. */
  force?: boolean;
  admin?: { user?: string; password?: string };
  /** Asked when the replica is healthy and `force` is not given (a person at a terminal): true goes on. */
  confirmHealthy?: (replica: string) => Promise<boolean>;
  /** Last say before anything is written: throws RunbookRefusal to stop at the plan. */
  approve?: (planned: Planned) => void;
  /** How long the lock outlives a run that stops renewing it (default LEASE_MS). */
  leaseMs?: number;
  /** How every printed command is spelled to reach this config and state (model/commands.ts; the deployed style in Lambda). */
  commands?: CommandStyle;
  /** Where a failure is paged, and its resolve once a rebuild finishes: the sinks the monitor pages to. */
  sinks?: PageSink[];
}

export interface RebuildOptions {
  config: Config;
  request: RebuildRequest;
  secrets: SecretResolver;
  /** Where the cluster's lock, the checkpoint and the silence live: the monitor's own store. */
  store: StateStore;
  execution?: StrategyInput['execution'];
}

/**
 * `rebuild-replica`: plan (reads only), and with `execute` the rebuild under the cluster's lock,
 * so only one rebuild runs per cluster, whichever the strategy. Shared by the CLI, the Lambda and
 * autoRebuild: the guards, the lock, the silence, the failure page and the resume live here, once.
 */
export async function rebuildReplica({
  config,
  request: req,
  secrets,
  store,
  execution = {},
}: RebuildOptions): Promise<{ planned: Planned; executed?: Executed }> {
  const target = resolveTarget(config, req.cluster, req.replica, req.donor);
  const view = await lockView(store, req);
  const { unfinished } = view;
  const choice = req.strategy === undefined || req.strategy === 'auto' ? chooseStrategy(target, unfinished) : undefined;
  const name: StrategyName = choice?.name ?? (req.strategy as StrategyName);
  // Logical asked for by name where auto would pick physical: said again in the plan's command, or it would not do the same.
  const sayStrategy = name === 'logical' && !choice && typeof physicalAgents(target) !== 'string' ? ['--strategy logical'] : [];
  req = { ...req, strategy: name };
  const commands = rebuildCommands(req.cluster, req.replica, req.commands, name);
  const strategy = strategyFor(name, {
    config,
    target,
    secrets,
    execution,
    ...(req.admin ? { admin: req.admin } : {}),
    ...(req.commands ? { commands: req.commands } : {}),
    ...(unfinished ? { unfinished } : {}),
    donorGiven: Boolean(req.donor),
  });
  try {
    const plannedNow = await strategy.plan();
    const { healthy, tables } = plannedNow;
    const planned: Planned = choice ? { ...plannedNow.planned, chosen: choice.why } : plannedNow.planned;
    if (!req.execute) return { planned: withRunCommand(planned, req, execution, view, sayStrategy) };
    // Another rebuild of the cluster is the first reason not to go on, whatever the replica's state.
    const lock = await examineLock(store, rebuildLockName(req.cluster), req);
    if (healthy && !req.force && !(await req.confirmHealthy?.(req.replica))) {
      throw new RunbookRefusal(
        `${req.replica} is healthy (replicating, no error): a rebuild would drop and recopy it for nothing. If it must be rebuilt anyway, take it out of the read pool, then: ${commands.execute} --force`,
      );
    }
    req.approve?.(planned);
    const leaseMs = req.leaseMs ?? LEASE_MS;
    const owner = ownerId();
    const taken = await lock.take(owner, leaseMs, tables);
    const given = carriedFlags(req, execution, sayStrategy).flags;
    // A resume keeps the dead run's own flags where this run gives none of its own.
    const flags = taken.resume ? mergeFlags(taken.resume.flags, given) : given;
    const run = new LockedRun({ config, req, secrets, store, strategy: name, lockName: rebuildLockName(req.cluster), owner, leaseMs, flags, ...taken });
    return { planned, executed: await run.execute((ctl) => strategy.execute(planned, ctl)) };
  } finally {
    await strategy.close();
  }
}

/** The cluster's rebuild lock as a plan reads it (reads only): this replica's dead rebuild, another rebuild in the way, or a store that cannot be read. */
interface LockView {
  /** The checkpoint of a dead rebuild of this very replica. */
  unfinished?: RebuildCheckpoint & { held: Lock };
  /** Why --execute would refuse at once: another rebuild holds the cluster's lock, or the store cannot be read. */
  inTheWay?: string;
}

async function lockView(store: StateStore, req: RebuildRequest): Promise<LockView> {
  let held: Lock | undefined;
  try {
    held = await store.readLock(rebuildLockName(req.cluster));
  } catch (e) {
    return {
      inTheWay: `the state store cannot be read (${(e as Error).message}): whether a rebuild of ${req.cluster} runs or stopped unfinished is unknown here; --execute reads it first, and sets a damaged file aside unless rebuild state in it cannot be read out`,
    };
  }
  if (!held) return {};
  const cp = parseCheckpoint(held.checkpoint);
  // A holder on this host whose process is gone is dead already (examineLock ends its lease).
  const dead = lockTakeable(held, new Date()) || (!held.handover && ownerAlive(held.owner) === false);
  if (dead && cp?.replica === req.replica) return { unfinished: { ...cp, held } };
  if (!dead)
    return { inTheWay: `a rebuild ${cp ? `of ${cp.replica} ` : ''}in cluster ${req.cluster} is running (${held.owner}): --execute refuses until it ends` };
  if (cp && (cp.schemaDone || cp.tablesDone.length > 0 || (cp.physical?.done.length ?? 0) > 0)) {
    return {
      inTheWay: `the rebuild of ${cp.replica} stopped unfinished and holds the cluster's lock: --execute refuses until it is finished with ${resumeCommand(req.cluster, cp.replica, req.commands, cp.strategy, cp.flags)}`,
    };
  }
  return {};
}

/** The flags a person gave the plan that its --execute must be given again to do the same. */
function carriedFlags(req: RebuildRequest, execution: StrategyInput['execution'], first: string[]): { flags: string; unsaid?: string } {
  const flags: string[] = [...first];
  if (req.donor) flags.push(`--donor ${shellWord(req.donor)}`);
  if (execution.workers !== undefined && execution.workers !== DEFAULT_WORKERS) flags.push(`--workers ${execution.workers}`);
  if (req.leaseMs !== undefined) flags.push(`--lease ${req.leaseMs % 1000 === 0 ? `${req.leaseMs / 1000}s` : `${req.leaseMs}ms`}`);
  const { user, password } = req.admin ?? {};
  // A reference (env:, ssm:, secret:) is no secret and is printed; a literal password never is:
  // the command reads it from an environment variable the person sets first.
  const literal = Boolean(user && password && !isSecretReference(password));
  if (user) flags.push(`--user ${shellWord(user)}${password ? ` --password ${literal ? `env:${PASSWORD_ENV}` : shellWord(password)}` : ''}`);
  const unsaid = literal ? `export ${PASSWORD_ENV}=<the password of ${user}> first: a literal --password is never printed` : undefined;
  return { flags: flags.map((f) => ` ${f}`).join(''), ...(unsaid ? { unsaid } : {}) };
}

/**
 * The plan's "To run it" as it must be run: with the flags given to the plan, and with --resume
 * (not a fresh start, which --execute would refuse) when a rebuild of this replica died half-way.
 */
function withRunCommand(planned: Planned, req: RebuildRequest, execution: StrategyInput['execution'], view: LockView, first: string[]): Planned {
  const dead = view.unfinished;
  const carried = carriedFlags(req, execution, first);
  const { unsaid } = carried;
  // Continuing a dead run repeats that run's flags (its donor, its account) where the plan gives none of its own.
  const flags = dead ? mergeFlags(dead.flags, carried.flags) : carried.flags;
  const run = (base: string) => `${dead ? base.replace(/ --force$/, '') : base}${flags}${dead ? ' --resume' : ''}`;
  const notes = [
    ...(dead
      ? [
          `a rebuild of ${req.replica} stopped unfinished (${dead.held.owner}, ${Date.parse(dead.held.expiresAt) > Date.now() ? 'its process on this host is gone' : `lease ended ${dead.held.expiresAt}`}): the command goes on from its checkpoint${unsaid ? '' : passwordNote(flags)}`,
        ]
      : []),
    ...(view.inTheWay ? [view.inTheWay] : []),
    ...(unsaid ? [unsaid] : []),
  ];
  if (planned.strategy === 'rds') return { ...planned, command: run(planned.command) };
  const plan = { command: run(planned.plan.command), warnings: [...planned.plan.warnings, ...notes] };
  return { ...planned, plan: { ...planned.plan, ...plan } } as Planned;
}

/** A live lock as whoever finds it held reads it: who, since when, how lately renewed, until when. */
function describeRunning(held: Lock, now: Date): string {
  const renewed = held.renewedAt ?? held.startedAt;
  const ago = renewed ? `${Math.max(0, Math.round((now.getTime() - Date.parse(renewed)) / 1000))} s ago` : 'at an unknown time';
  return `${held.owner}, started ${held.startedAt ?? 'at an unknown time'}, lease renewed ${ago}; if that run is dead, its lease lapses at ${held.expiresAt}`;
}

/**
 * The cluster's rebuild lock as found, refusing at once when it is not this run's to take: a live
 * owner is never taken over (a rebuild is running, or handed to a Lambda's next invocation); a
 * dead one (lease lapsed) with copied tables is resumed with `--resume` or started over with
 * `--force`, and only for the replica it was rebuilding. `take` then takes it, `--resume` under
 * this run's own owner id with the checkpoint. What the store holds is read through the
 * checkpoint's schema: anything else is "nothing copied yet".
 */
export async function examineLock(
  store: StateStore,
  lockName: string,
  req: RebuildRequest,
): Promise<{
  take: (
    owner: string,
    leaseMs: number,
    tables: Array<{ schema: string; name: string }>,
  ) => Promise<{ resume?: RebuildCheckpoint; takenAt: Date; continues?: string }>;
}> {
  const now = new Date();
  const execute = rebuildCommands(req.cluster, req.replica, req.commands, req.strategy as StrategyName).execute;
  let held = await store.readLock(lockName);
  // A holder on this host whose process is gone is dead now, not when its lease lapses: its lease
  // is ended (only if it still holds it), and it is told and taken over like any lapsed one.
  let gone = '';
  if (held && !held.handover && !lapsed(held, now) && ownerAlive(held.owner) === false) {
    const pid = /pid (\d+)/.exec(held.owner)?.[1];
    if (await store.parkLock(lockName, held.owner, now, false)) {
      gone = `; its process (pid ${pid} on this host) is gone, so its lease was ended at once`;
      held = await store.readLock(lockName);
    }
  }
  const cp = parseCheckpoint(held?.checkpoint);
  const running = (h: Lock, at: Date) =>
    new RunbookRefusal(
      h.handover
        ? `a rebuild ${cp ? `of ${cp.replica} ` : ''}in cluster ${req.cluster} is running: handed by ${h.owner} to its next invocation, which takes it up by ${h.expiresAt}; one rebuild at a time per cluster`
        : `a rebuild ${cp ? `of ${cp.replica} ` : ''}in cluster ${req.cluster} is running (${describeRunning(h, at)}); one rebuild at a time per cluster`,
    );
  if (held && (!lockTakeable(held, now) || (held.handover && !req.resume))) throw running(held, now);
  if (held && cp && cp.replica !== req.replica) {
    const other = rebuildCommands(req.cluster, cp.replica, req.commands, cp.strategy).execute;
    throw new RunbookRefusal(
      `the rebuild of ${cp.replica} in cluster ${req.cluster} stopped unfinished and holds the cluster's lock (${held.owner}, its lease lapsed at ${held.expiresAt}${gone}): finish it first with ${resumeCommand(req.cluster, cp.replica, req.commands, cp.strategy, cp.flags)}, or start it over with ${other}${cp.flags ?? ''} --force${passwordNote(cp.flags ?? '')}`,
    );
  }
  if (req.resume && !held) throw new RunbookRefusal(`no unfinished rebuild of ${req.replica} in cluster ${req.cluster} to resume`);
  if (req.resume && cp && (cp.strategy ?? 'logical') !== (req.strategy ?? 'logical')) {
    throw new RunbookRefusal(
      `the unfinished rebuild of ${cp.replica} is a ${cp.strategy ?? 'logical'} one: continue it with ${resumeCommand(req.cluster, cp.replica, req.commands, cp.strategy, cp.flags)}`,
    );
  }
  const progress = cp !== undefined && (cp.schemaDone || cp.tablesDone.length > 0 || (cp.physical?.done.length ?? 0) > 0);
  if (held && cp?.strategy === 'physical' && progress && req.force && !req.resume && lapsed(held, now)) {
    // Its server may be stopped and its datadir swapped: only the steps it recorded know how to go on.
    throw new RunbookRefusal(
      `the physical rebuild of ${cp.replica} stopped half-way (${progressText(cp)}): it is continued, not started over: ${resumeCommand(req.cluster, cp.replica, req.commands, cp.strategy, cp.flags)} (a resume streams again if the stream did not finish)`,
    );
  }
  if (held && cp && progress && !req.resume && !req.force && lapsed(held, now)) {
    throw new RunbookRefusal(
      `a rebuild of ${cp.replica} in cluster ${req.cluster} is dead: ${cp.failure ? `it failed at "${cp.failure.step}"` : `it stopped at "${cp.step ?? 'start'}"`} with ${progressText(cp)}, and its lease lapsed at ${held.expiresAt} (${held.owner}, started ${held.startedAt ?? '?'}, last renewed ${held.renewedAt ?? '?'}${gone}); continue it with ${resumeCommand(req.cluster, cp.replica, req.commands, cp.strategy, cp.flags)}, or start over with ${execute}${cp.flags ?? ''} --force${passwordNote(cp.flags ?? '')}`,
    );
  }
  return {
    take: async (owner, leaseMs, tables) => {
      const at = new Date();
      const taken = await store.acquireLock(lockName, owner, new Date(at.getTime() + leaseMs), at, { keepCheckpoint: Boolean(req.resume) });
      if (!taken) {
        const other = await store.readLock(lockName);
        throw other ? running(other, at) : new RunbookRefusal(`the rebuild lock of cluster ${req.cluster} changed hands while it was being taken; run again`);
      }
      const kept = req.resume ? parseCheckpoint(taken.checkpoint) : undefined;
      try {
        if (kept && kept.replica !== req.replica)
          throw new RunbookRefusal(`the unfinished rebuild in cluster ${req.cluster} became one of ${kept.replica} while it was being taken; run again`);
        // A dead run's replica (resumed, or started over with --force) is that run's open incident.
        // A Lambda's hand-over passes it on.
        const continues = cp?.continues ?? (held && cp && lapsed(held, now) ? held.owner : undefined);
        return { resume: kept && upgradeCheckpoint(kept, tables, `${execute} --force`), takenAt: at, ...(continues ? { continues } : {}) };
      } catch (e) {
        // Put back as it was found: dead, for whoever goes on with it.
        await store.parkLock(lockName, owner, at, false);
        throw e;
      }
    },
  };
}
