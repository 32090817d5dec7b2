/**
 * The fixed finding vocabulary of ../shared/DESIGN.md, by the check that raises each code: add
 * codes, never rename them. HeartbeatStale, MonitorOverPrivileged and LagUnknown are replwatch's additions.
 */
const REPLICATION_CODES = [
  'ReplicaLagging',
  'ReplicationBroken',
  'ReplicaIoError',
  'ReplicationStopped',
  'NotReplicating',
  'ReplicaUnreachable',
  'PrimaryUnreachable',
  'ReplicaWritable',
  'ErrantTransactions',
  'WrongPrimary',
  'HeartbeatStale',
  'MonitorOverPrivileged',
  'LagUnknown',
] as const;
const MEMCACHE_CODES = ['MemcacheUnreachable', 'MemcacheSlow', 'MemcacheDegraded'] as const;
const NETWORK_CODES = ['PacketLoss', 'HostUnreachable'] as const;
/** Raised by the rebuild runbook, not by a check: the page that a failed rebuild sends. */
const RUNBOOK_CODES = ['RebuildFailed'] as const;
/** About the monitor itself: its state store cannot be read or written, so nothing pages through it. */
const MONITOR_CODES = ['StateUnreadable'] as const;

export const FINDING_CODES = [...REPLICATION_CODES, ...MEMCACHE_CODES, ...NETWORK_CODES, ...RUNBOOK_CODES, ...MONITOR_CODES] as const;

export type FindingCode = (typeof FINDING_CODES)[number];

/** `info` never pages and never changes the exit code; it is advice for whoever reads the table. */
export type Severity = 'critical' | 'warning' | 'info';

export interface Finding {
  code: FindingCode;
  severity: Severity;
  cluster: string;
  target: string;
  summary: string;
  /** The rebuild command, for findings a rebuild fixes. */
  runbook?: string;
  /** The exact next step for findings a rebuild does not fix (a statement to run, a host to check). */
  action?: string;
  details: Record<string, unknown>;
}

export const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

/**
 * Which scheduled check pages which codes: each check's Lambda pages for its own. The replication
 * check also pages rebuilds that died half-way (it reads their locks in the state store).
 */
export const CODES_BY_CHECK: Record<'replication' | 'memcache' | 'network', ReadonlySet<FindingCode>> = {
  replication: new Set([...REPLICATION_CODES, ...RUNBOOK_CODES]),
  memcache: new Set(MEMCACHE_CODES),
  network: new Set(NETWORK_CODES),
};

/** What the replication probes read on the servers themselves, as opposed to the state store. */
export const SERVER_REPLICATION_CODES: ReadonlySet<FindingCode> = new Set(REPLICATION_CODES);

/**
 * What a dead primary explains: its replicas' IO errors, lag and unknown lag, and a stale heartbeat.
 * analyseCluster folds them into the primary's one finding, and the pager holds their alerts
 * while it fires: one set, so that what is folded is also what is held (and never paged RESOLVED).
 */
export const DEAD_PRIMARY_SYMPTOMS: ReadonlySet<FindingCode> = new Set<FindingCode>(['ReplicaIoError', 'ReplicaLagging', 'LagUnknown', 'HeartbeatStale']);

/**
 * A finding whose verdict waits for more evidence (a primary that replicas have not yet said is
 * alive or dead): shown, and counted by `check`, but neither paged nor resolved until decided.
 */
export const isProvisional = (f: Pick<Finding, 'details'>): boolean => f.details.verdict === 'undecided';
