import type { SecretResolver } from '../config/secrets';
import type { CommandStyle } from '../model/commands';
import { analyseCluster } from '../health/replication';
import { clusterEndpoint, query, type Connection, type MysqlConnections } from '../mysql/connections';
import type { ServerReading } from '../model/observations';
import { probeServer } from '../probes/mysql/probe';
import { readInventory, type Inventory } from './inventory';
import { tableKey } from './checkpoint';
import { rebuildCommands, type RebuildTarget } from './target';
import { adminConnection, type AdminAccount } from './accounts';
import { RunbookRefusal } from './errors';

/** Logical copy throughput assumed for the estimate, bytes/s (see bench/RESULTS.md). */
export const ASSUMED_BYTES_PER_SECOND = 20 * 1024 * 1024;

export interface RebuildPlan {
  cluster: string;
  replica: string;
  donor: string;
  primary: string;
  inventory: Inventory;
  totalRows: number;
  totalBytes: number;
  estimateSeconds: number;
  /**
   * The replica as the monitor would judge it now. Healthy (replicating, no error; lag alone is no
   * reason to rebuild) means there is nothing to repair: --execute then wants --force.
   */
  replicaHealth: { healthy: boolean; findings: Array<{ code: string; severity: string; summary: string }> };
  /** binlog_format of the primary and the donor (one entry when they are the same server). */
  binlogFormats: Record<string, string>;
  /**
   * Whether a --resume may replay from the first run's position in IDEMPOTENT mode: only with a
   * primary key on every table and row-based binlogs; otherwise a resume starts the copy over.
   */
  resume: { replaySafe: boolean; why?: string };
  steps: string[];
  warnings: string[];
  /** The exact command that executes this plan, with the flags that reach the same config and state. */
  command: string;
}

/**
 * Reads (never writes) what a rebuild would do, and refuses an unsafe one: an unreachable
 * replica, one that looks like a primary (writable and replicating from nothing), a donor that
 * is unreachable, broken or lagging. Throws RunbookRefusal with the reason.
 */
export async function planRebuild(
  t: RebuildTarget,
  connections: MysqlConnections,
  secrets: SecretResolver,
  admin: AdminAccount,
  style?: CommandStyle,
): Promise<RebuildPlan> {
  const c = t.cluster;
  const { primary, replica: r } = await probeRebuildServers(t, connections, secrets);
  const replica = r!;
  const flavor = primary.flavor;
  const replicaFindings = analyseCluster({ cluster: c.name, lag: c.lag, primary, replicas: [replica], lagHistory: () => [] }).findings.filter(
    (f) => f.target === t.replica.name && f.severity !== 'info',
  );
  // The account is tried on every server it will touch, so a refusal comes now, not half-way.
  const [donorConn, primaryConn] = await Promise.all([
    adminConnection(connections, c, t.donor, admin, secrets),
    adminConnection(connections, c, t.primary, admin, secrets),
    adminConnection(connections, c, t.replica, admin, secrets),
  ]);
  const inventory = await readInventory(donorConn, c.timeoutMs * 5);
  const binlogFormats = await readBinlogFormats(t, primaryConn, donorConn);
  const totalRows = inventory.tables.reduce((a, x) => a + x.rows, 0);
  const totalBytes = inventory.tables.reduce((a, x) => a + x.bytes, 0);
  const warnings: string[] = [];
  const healthy = replicaFindings.length === 0;
  if (healthy)
    warnings.push(
      `${t.replica.name} is healthy (replicating, no error): nothing calls for a rebuild, which would drop and recopy its data; --execute refuses it without --force`,
    );
  if (flavor !== 'mariadb') warnings.push('the logical strategy executes on MariaDB; on MySQL and RDS use --strategy rds or the plan as a checklist');
  const noKey = inventory.tables.filter((x) => !x.hasPrimaryKey);
  const notRow = Object.entries(binlogFormats).filter(([, f]) => f !== 'ROW');
  const why = [
    ...(noKey.length > 0
      ? [`${noKey.length} table(s) without a primary key (${noKey.slice(0, 5).map(tableKey).join(', ')}), whose replayed inserts would duplicate rows`]
      : []),
    ...notRow.map(([server, f]) => `binlog_format is ${f} on ${server}, and IDEMPOTENT replay needs row events`),
  ];
  if (why.length > 0)
    warnings.push(`an interrupted run cannot resume by replaying from its first snapshot: ${why.join('; ')}; a --resume starts the copy over`);
  const steps = planSteps(t, inventory, totalRows, totalBytes);
  return {
    cluster: c.name,
    replica: t.replica.name,
    donor: t.donor.name,
    primary: t.primary.name,
    inventory,
    totalRows,
    totalBytes,
    estimateSeconds: Math.ceil(totalBytes / ASSUMED_BYTES_PER_SECOND) + 5,
    replicaHealth: { healthy, findings: replicaFindings.map((f) => ({ code: f.code, severity: f.severity, summary: f.summary })) },
    binlogFormats,
    resume: why.length === 0 ? { replaySafe: true } : { replaySafe: false, why: why.join('; ') },
    steps,
    warnings,
    // A healthy replica is rebuilt only on purpose: the command that does it says so.
    command: `${rebuildCommands(c.name, t.replica.name, style).execute}${healthy ? ' --force' : ''}`,
  };
}

/**
 * The primary, the replica (unless `replicaDown`: a physical rebuild's resume finds it stopped on
 * purpose) and the donor as the monitor's account reads them, and the refusals they call for.
 */
export async function probeRebuildServers(
  t: RebuildTarget,
  connections: MysqlConnections,
  secrets: SecretResolver,
  o: { replicaDown?: boolean } = {},
): Promise<{ primary: ServerReading; replica?: ServerReading }> {
  const c = t.cluster;
  const monitorPassword = () => secrets.resolve(c.password);
  const probe = (s: typeof t.replica) =>
    probeServer(
      connections,
      { ...clusterEndpoint(c, s, c.user, `runbook/${s.name}`), cluster: c.name, name: s.name, role: s.role, heartbeatTable: c.heartbeat?.table },
      monitorPassword,
    );
  const [primary, replica, donor] = await Promise.all([
    probe(t.primary),
    o.replicaDown ? undefined : probe(t.replica),
    t.donor === t.primary ? undefined : probe(t.donor),
  ]);
  refuseUnsafe(t, primary, replica, donor);
  return { primary, ...(replica ? { replica } : {}) };
}

/** The refusals a plan makes from what the servers say, before any account is tried. */
function refuseUnsafe(t: RebuildTarget, primary: ServerReading, replica: ServerReading | undefined, donor: ServerReading | undefined): void {
  const c = t.cluster;
  if (replica && !replica.reachable)
    throw new RunbookRefusal(`cannot reach ${t.replica.name} (${replica.error?.message}): nothing to rebuild until it answers`);
  if (!primary.reachable)
    throw new RunbookRefusal(`cannot reach the primary ${t.primary.name} (${primary.error?.message}): the rebuilt replica would have nothing to follow`);
  if (replica && replica.serverId === primary.serverId)
    throw new RunbookRefusal(`${t.replica.name} has the primary's server_id ${primary.serverId}: it may be the primary itself`);
  if (replica && replica.readOnly === false && (replica.channels ?? []).length === 0) {
    throw new RunbookRefusal(
      `${t.replica.name} is writable and replicates from nothing: it may be serving writes as a primary; make it read_only first if it really is a replica`,
    );
  }
  if (donor) {
    if (!donor.reachable) throw new RunbookRefusal(`cannot reach the donor ${t.donor.name}: ${donor.error?.message}`);
    const { findings } = analyseCluster({ cluster: c.name, lag: c.lag, primary, replicas: [donor], lagHistory: () => [] });
    const bad = findings.filter((f) => f.target === t.donor.name && f.severity !== 'info');
    if (bad.length > 0) throw new RunbookRefusal(`the donor ${t.donor.name} is not healthy: ${bad.map((f) => `${f.code}: ${f.summary}`).join('; ')}`);
    const lag = findings.length === 0 ? (donor.channels?.[0]?.secondsBehind ?? 0) : 0;
    if (lag >= c.lag.warningSeconds) throw new RunbookRefusal(`the donor ${t.donor.name} lags ${lag} s behind the primary`);
  }
}

/** binlog_format of the primary and the donor; a server without a binary log is refused. */
async function readBinlogFormats(t: RebuildTarget, primaryConn: Connection, donorConn: Connection): Promise<Record<string, string>> {
  const c = t.cluster;
  const binlogFormats: Record<string, string> = {};
  for (const [s, conn] of [
    [t.primary, primaryConn],
    [t.donor, donorConn],
  ] as const) {
    const [row] = await query<{ f: string; on: number }>(conn, 'SELECT @@GLOBAL.binlog_format AS f, @@GLOBAL.log_bin AS `on`', c.timeoutMs);
    if (!Number(row?.on))
      throw new RunbookRefusal(
        `${s.name} has no binary log (log_bin is off): ${s === t.donor ? 'a snapshot of it has no GTID position to replicate from' : 'its replicas have nothing to replicate'}`,
      );
    binlogFormats[s.name] = String(row?.f);
  }
  return binlogFormats;
}

/** What --execute will do, in order, as a person reads it before saying yes. */
function planSteps(t: RebuildTarget, inventory: Inventory, totalRows: number, totalBytes: number): string[] {
  const c = t.cluster;
  const replication = c.replication ? `the configured replication account ${c.replication.user}` : `${t.replica.name}'s own replication credentials`;
  const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;
  return [
    `Take ${t.replica.name} out of the read pool first (proxy, load balancer or application config): from the next step on it serves stale, then partial data.`,
    `Take the rebuild lock of cluster ${c.name} (one rebuild at a time per cluster; a lease its run renews).`,
    `Stop replication on ${t.replica.name} (${t.replica.host}:${t.replica.port}) and keep it read_only.`,
    `Open consistent snapshots on the donor ${t.donor.name} (no locks taken) and record their GTID position.`,
    `Drop and recreate on ${t.replica.name}, with its binary log off for the session: ${inventory.schemas.length} schema(s), ${inventory.tables.length} table(s), ${inventory.views.length} view(s), ${inventory.routines.length} routine(s), ${inventory.events.length} event(s).`,
    `Copy about ${totalRows} rows (${mb(totalBytes)}) in batches, several tables at once.`,
    `Create ${inventory.triggers.length} trigger(s) after the data, so they do not fire on copied rows.`,
    `Set gtid_slave_pos to the snapshot's position and replicate from the primary ${t.primary.name} with GTID, using ${replication}; start replication.`,
    `Wait until ${t.replica.name} has caught up with ${t.primary.name}.`,
    `Verify every table's checksum between ${t.donor.name} and ${t.replica.name} at a common GTID position.`,
  ];
}
