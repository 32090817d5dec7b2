import { clusterServers, DEFAULT_SERVICE, type ServerConfig } from '../../config/schema';
import type { SecretResolver } from '../../config/secrets';
import { analyseCluster } from '../../health/replication';
import { query, type MysqlConnections } from '../../mysql/connections';
import { adminConnection, type AdminAccount } from '../accounts';
import type { RebuildCheckpoint } from '../checkpoint';
import { RunbookRefusal } from '../errors';
import { readInventory, type Inventory } from '../inventory';
import { ASSUMED_BYTES_PER_SECOND, probeRebuildServers } from '../plan';
import type { RebuildTarget } from '../target';
import { remotePasswordSource, type HostAgent } from './agent';
import { agentFor } from './agents';

/**
 * Streamed backup, extraction and prepare throughput assumed for the estimate, bytes/s, and the
 * fixed part (a server stopped and started, the prepare's recovery, catch-up): see bench/RESULTS.md.
 */
export const PHYSICAL_BYTES_PER_SECOND = 150 * 1024 * 1024;
const PHYSICAL_FIXED_SECONDS = 15;
/** Room the extraction needs beyond the data: the redo log the backup copies, and slack. */
const SPACE_FACTOR = 1.1;
const SPACE_SLACK = 32 * 1024 * 1024;
/** A host step that reads a little (a path, free space, a size): a probe's time, not the data's. */
export const HOST_QUERY_MS = 60_000;

export interface PhysicalPlan {
  cluster: string;
  replica: string;
  donor: string;
  primary: string;
  /** The backup tool, chosen by the donor's server (mariabackup for MariaDB). */
  tool: 'mariabackup';
  agents: { donor: string; replica: string };
  /** Where the stream arrives on the replica's host when it crosses hosts (absent: it passes through this process). */
  streamPort?: number;
  /** The replica's datadir (its real path) and where the new one is extracted and the old one kept. */
  datadir: string;
  newDir: string;
  asideDir: string;
  donorDatadir: string;
  /** What the backup copies (the donor's datadir without binary logs), what it needs free, what is free. */
  dataBytes: number;
  needBytes: number;
  freeBytes: number;
  /** The tables verified by checksum once it replicates. */
  inventory: Inventory;
  replicaHealth: { healthy: boolean; findings: Array<{ code: string; severity: string; summary: string }> };
  estimateSeconds: number;
  /** The logical strategy's estimate for the same data, for comparison. */
  logicalEstimateSeconds: number;
  steps: string[];
  warnings: string[];
  command: string;
}

/** The steps a physical rebuild takes, in order: a checkpoint names the ones done. */
export const PHYSICAL_STEPS = [
  'check space',
  'stop replication',
  'stop server',
  'stream backup',
  'prepare',
  'swap datadir',
  'start server',
  'start replication',
  'catch up',
  'verify checksums',
  'discard old datadir',
] as const;
export type PhysicalStep = (typeof PHYSICAL_STEPS)[number];

const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;

/** The agents of the donor and the replica, or the reason the physical strategy cannot run. */
export function physicalAgents(t: RebuildTarget): { donor: HostAgent; replica: HostAgent } | string {
  const donor = agentFor(t.donor);
  const replica = agentFor(t.replica);
  if (typeof replica === 'string') return replica;
  if (typeof donor === 'string') return donor;
  return { donor, replica };
}

/** A server of the rebuild's cluster by name (the primary or a replica). */
export function serverNamed(t: RebuildTarget, name: string): ServerConfig {
  const s = clusterServers(t.cluster).find((x) => x.name === name);
  if (!s) throw new RunbookRefusal(`${t.cluster.name} has no server named ${name} to copy from`);
  return s;
}

/**
 * The donor when none is named: a replica other than the one rebuilt, with an agent, that
 * replicates healthily and does not lag (a backup then loads it, not the primary); none such, the primary.
 */
export async function healthyReplicaDonor(t: RebuildTarget, connections: MysqlConnections, secrets: SecretResolver): Promise<RebuildTarget | undefined> {
  for (const r of clusterServers(t.cluster).filter((s) => s.role === 'replica' && s.name !== t.replica.name && typeof agentFor(s) !== 'string')) {
    const candidate = { ...t, donor: r };
    try {
      await probeRebuildServers(candidate, connections, secrets, { replicaDown: true });
      return candidate;
    } catch (e) {
      if (!(e instanceof RunbookRefusal)) throw e;
    }
  }
  return undefined;
}

/**
 * Reads (never writes) what a physical rebuild would do, and refuses what it must not do: no
 * agent, no backup tool on a host, a MySQL donor (xtrabackup, not built yet), too little room
 * beside the replica's datadir for the donor's data. A resume that finds the replica stopped by
 * the run it continues (`unfinished`) does not probe it: the paths come from that checkpoint.
 */
export async function planPhysical(o: {
  target: RebuildTarget;
  connections: MysqlConnections;
  secrets: SecretResolver;
  admin: AdminAccount;
  command: string;
  unfinished?: RebuildCheckpoint;
}): Promise<PhysicalPlan> {
  const t = o.target;
  const c = t.cluster;
  const agents = physicalAgents(t);
  if (typeof agents === 'string') throw new RunbookRefusal(`the physical strategy needs an agent on the donor and the replica: ${agents}`);
  if (!agents.donor.start) remotePasswordSource(o.admin.password, agents.donor.where);
  const stopped = o.unfinished?.strategy === 'physical' && o.unfinished.physical?.done.includes('stop server') ? o.unfinished.physical : undefined;
  const { primary, replica } = await probeRebuildServers(t, o.connections, o.secrets, { replicaDown: Boolean(stopped) });
  if (primary.flavor !== 'mariadb')
    throw new RunbookRefusal(
      'the physical strategy streams mariabackup, for MariaDB; Percona Server and MySQL (xtrabackup) are not built yet: use --strategy logical or rds',
    );
  const donorConn = await adminConnection(o.connections, c, t.donor, o.admin, o.secrets);
  // Unless both agents run their steps here, the stream goes from host to host through socat.
  const crossesHosts = !(agents.donor.start && agents.replica.start);
  const [tools, donorTools] = await Promise.all([
    agents.replica.run('tools', [], { timeoutMs: HOST_QUERY_MS }),
    agents.donor.run('tools', [], { timeoutMs: HOST_QUERY_MS }),
  ]);
  for (const [name, have] of [
    [t.replica.name, tools],
    [t.donor.name, donorTools],
  ] as const) {
    const missing = [...['mariabackup', 'mbstream'], ...(crossesHosts ? ['socat'] : [])].filter((x) => !have.split('\n').includes(x));
    if (missing.length)
      throw new RunbookRefusal(
        `${name} has no ${missing.join(' or ')}: install mariadb-backup and socat there from its distribution (Debian, Ubuntu: sudo apt-get install mariadb-backup socat)`,
      );
  }
  const [donorDir] = await query<{ d: string }>(donorConn, 'SELECT @@datadir AS d', c.timeoutMs);
  const replicaDir = stopped
    ? stopped.datadir
    : (await query<{ d: string }>(await adminConnection(o.connections, c, t.replica, o.admin, o.secrets), 'SELECT @@datadir AS d', c.timeoutMs))[0]!.d;
  const [layout, dataBytes, inventory] = await Promise.all([
    agents.replica.run('layout', [replicaDir], { timeoutMs: HOST_QUERY_MS }),
    agents.donor.run('data-bytes', [donorDir!.d], { timeoutMs: HOST_QUERY_MS }).then(Number),
    readInventory(donorConn, c.timeoutMs * 5),
  ]);
  const [datadir, free] = layout.split('\n') as [string, string];
  const freeBytes = Number(free);
  const needBytes = Math.ceil(dataBytes * SPACE_FACTOR) + SPACE_SLACK;
  const findings = replica
    ? analyseCluster({ cluster: c.name, lag: c.lag, primary, replicas: [replica], lagHistory: () => [] }).findings.filter(
        (f) => f.target === t.replica.name && f.severity !== 'info',
      )
    : [];
  const healthy = replica !== undefined && findings.length === 0;
  const warnings = healthy
    ? [
        `${t.replica.name} is healthy (replicating, no error): nothing calls for a rebuild, which would replace its datadir; --execute refuses it without --force`,
      ]
    : [];
  const plan: PhysicalPlan = {
    cluster: c.name,
    replica: t.replica.name,
    donor: t.donor.name,
    primary: t.primary.name,
    tool: 'mariabackup',
    agents: { donor: agents.donor.where, replica: agents.replica.where },
    ...(crossesHosts ? { streamPort: agents.replica.streamPort } : {}),
    datadir,
    newDir: `${datadir.replace(/\/+$/, '')}.replwatch-new`,
    asideDir: `${datadir.replace(/\/+$/, '')}.replwatch-old`,
    donorDatadir: donorDir!.d,
    dataBytes,
    needBytes,
    freeBytes,
    inventory,
    replicaHealth: { healthy, findings: findings.map((f) => ({ code: f.code, severity: f.severity, summary: f.summary })) },
    estimateSeconds: Math.ceil(dataBytes / PHYSICAL_BYTES_PER_SECOND) + PHYSICAL_FIXED_SECONDS,
    logicalEstimateSeconds: Math.ceil(inventory.tables.reduce((a, x) => a + x.bytes, 0) / ASSUMED_BYTES_PER_SECOND) + 5,
    steps: [],
    warnings,
    command: `${o.command}${healthy ? ' --force' : ''}`,
  };
  refuseNoRoom(plan);
  plan.steps = physicalSteps(t, plan);
  return plan;
}

/** Refused before anything stops: the new datadir is extracted beside the old one, which is kept until the new one verifies. */
export function refuseNoRoom(p: Pick<PhysicalPlan, 'replica' | 'datadir' | 'needBytes' | 'freeBytes' | 'dataBytes' | 'donor'>): void {
  if (p.freeBytes < p.needBytes)
    throw new RunbookRefusal(
      `${p.replica} has ${mb(p.freeBytes)} free beside ${p.datadir}, and a copy of ${p.donor}'s data needs ${mb(p.needBytes)} (${mb(p.dataBytes)} and room for its redo log) while the old datadir is kept: free some space there, or use --strategy logical, which copies into the datadir in place; nothing was changed`,
    );
}

function physicalSteps(t: RebuildTarget, p: PhysicalPlan): string[] {
  const service = { ...DEFAULT_SERVICE, ...t.replica.service };
  const replication = t.cluster.replication
    ? `the configured replication account ${t.cluster.replication.user}`
    : `${t.replica.name}'s own replication account (its master.info)`;
  return [
    `Take ${t.replica.name} out of the read pool first (proxy, load balancer or application config): it is stopped from step 4 on.`,
    `Take the rebuild lock of cluster ${t.cluster.name} (one rebuild at a time per cluster; a lease its run renews).`,
    `Check again that ${mb(p.needBytes)} is free beside ${p.datadir} (${mb(p.freeBytes)} now).`,
    `Stop replication on ${t.replica.name} and keep it read_only; stop the server (${p.agents.replica}: ${service.stop}).`,
    `Stream a ${p.tool} backup of ${t.donor.name} (${p.agents.donor}, ${mb(p.dataBytes)} in ${p.donorDatadir}) into ${p.newDir}, with no copy on disk in between${p.streamPort ? ` (host to host: ${t.donor.host} sends to ${t.replica.host}:${p.streamPort}, which must be open to it)` : ''}; prepare it.`,
    `Move the old datadir aside to ${p.asideDir} (kept until the new one verifies; put back if anything fails) and the new one into ${p.datadir}.`,
    `Start the server (${service.start}); set gtid_slave_pos to the backup's own GTID position and replicate from ${t.primary.name} with GTID, using ${replication}.`,
    `Wait until ${t.replica.name} has caught up with ${t.primary.name}; verify every table's checksum between them at a common GTID position; then remove ${p.asideDir}.`,
  ];
}
