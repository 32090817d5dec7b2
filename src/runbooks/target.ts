import { clusterServers, type ClusterConfig, type Config, type ServerConfig } from '../config/schema';
import { rebuildCommand } from '../health/replication';
import type { CommandStyle } from '../model/commands';
import { RunbookRefusal } from './errors';

/**
 * How a replica is rebuilt (runbooks/strategies.ts): logical copies over SQL; physical streams a
 * backup of the data files through the servers' agents; rds replaces an RDS read replica.
 */
export type StrategyName = 'logical' | 'rds' | 'physical';
/** What a request asks for: a strategy, or `auto` (the default): physical where the donor and the replica have agents, else logical. */
export type StrategyChoice = StrategyName | 'auto';

/** A rebuild that must not run, and why. Plan and execute both stop on it, before any change. */
export interface RebuildTarget {
  cluster: ClusterConfig;
  replica: ServerConfig;
  donor: ServerConfig;
  primary: ServerConfig;
}

/**
 * Which servers a rebuild touches, from names alone (pure): the replica must be a configured
 * replica of the named cluster, never its primary; the donor is the primary or another replica.
 */
export function resolveTarget(config: Config, clusterName: string, replicaName: string, donorName?: string): RebuildTarget {
  const cluster = config.clusters.find((c) => c.name === clusterName);
  if (!cluster) throw new RunbookRefusal(`no cluster named ${clusterName}; clusters: ${config.clusters.map((c) => c.name).join(', ') || 'none'}`);
  if (cluster.aurora) {
    // Readers share the writer's storage: there is no copy of the data to rebuild.
    throw new RunbookRefusal(
      `${clusterName} is an Aurora cluster: its readers share the writer's storage and have no data of their own to rebuild; replace a broken reader instance instead (aws rds delete-db-instance, then create-db-instance --db-cluster-identifier)`,
    );
  }
  const servers = clusterServers(cluster);
  const primary = servers.find((s) => s.role === 'primary')!;
  if (replicaName === primary.name) throw new RunbookRefusal(`${replicaName} is the primary of ${clusterName}: a rebuild never writes to a primary`);
  const replica = servers.find((s) => s.name === replicaName);
  if (!replica) {
    const elsewhere = config.clusters.find((c) => clusterServers(c).some((s) => s.name === replicaName));
    throw new RunbookRefusal(
      elsewhere
        ? `${replicaName} is a server of cluster ${elsewhere.name}, not of ${clusterName}`
        : `${clusterName} has no replica named ${replicaName}; replicas: ${cluster.replicas.map((r) => r.name).join(', ')}`,
    );
  }
  if (replica.host === primary.host && replica.port === primary.port)
    throw new RunbookRefusal(`${replicaName} has the primary's address ${primary.host}:${primary.port}`);
  let donor = primary;
  if (donorName && donorName !== primary.name) {
    const d = servers.find((s) => s.name === donorName);
    if (!d) throw new RunbookRefusal(`${clusterName} has no server named ${donorName} to copy from`);
    if (d.name === replica.name) throw new RunbookRefusal('the donor cannot be the replica being rebuilt');
    donor = d;
  }
  return { cluster, replica, donor, primary };
}

/**
 * The exact commands, for refusals and the plan's last line: the monitor's rebuild command, spelled
 * (model/commands.ts) to reach the same config and state from any directory.
 */
/**
 * A dead run's `recorded` flags with those `given` now in their place, by name: a plan or resume
 * given --workers 3 still repeats the dead run's --donor and account. A new --user brings its own
 * --password (or none).
 */
export function mergeFlags(recorded = '', given = ''): string {
  const parts = (f: string) => f.split(/(?= --[a-z])/).filter((p) => p.trim());
  const name = (p: string) => /--([a-z-]+)/.exec(p)?.[1] ?? p;
  const now = parts(given);
  const names = new Set(now.map(name));
  if (names.has('user')) names.add('password');
  return [...parts(recorded).filter((p) => !names.has(name(p))), ...now].join('');
}

/** Where a printed command reads a password that was given literally (never printed). */
export const PASSWORD_ENV = 'REPLWATCH_REBUILD_PASSWORD';

/** What a person must do before running a command whose password is read from PASSWORD_ENV; '' when nothing. */
export function passwordNote(command: string): string {
  return command.includes(`env:${PASSWORD_ENV}`) ? ` (export ${PASSWORD_ENV}=<the password> first: a literal --password is never printed)` : '';
}

/** The command that continues an unfinished rebuild, with the flags its run was given (recorded in its checkpoint). */
export function resumeCommand(cluster: string, replica: string, style: CommandStyle | undefined, strategy: StrategyName | undefined, flags = ''): string {
  return `${rebuildCommands(cluster, replica, style, strategy).execute}${flags} --resume`;
}

export function rebuildCommands(cluster: string, replica: string, style?: CommandStyle, strategy: StrategyName = 'logical'): { plan: string; execute: string } {
  const plan = `${rebuildCommand(cluster, replica, style)}${strategy === 'logical' ? '' : ` --strategy ${strategy}`}`;
  return { plan, execute: `${plan} --execute` };
}
