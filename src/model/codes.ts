/**
 * The catalogue of finding codes: everything replwatch decides per code, in one table. The
 * vocabulary is a contract (../shared/DESIGN.md: add codes, never rename them); the rest of the
 * code derives its per-code sets from here (which check pages it, when it pages, what a rebuild
 * fixes, what it is a symptom of), and docs/findings.md is tested against it.
 */

export type CheckOfCode = 'replication' | 'memcache' | 'network' | 'runbook' | 'monitor';

export interface CodeEntry {
  /** Who raises it: a check, the rebuild runbook, or the monitor about itself. */
  check: CheckOfCode;
  /** The severities it is raised with, as docs/findings.md lists them. */
  severity: string;
  /**
   * Samples in a row it must be seen before it pages (Infinity: never). Conditions that are sticky
   * and certain (an SQL error, an errant GTID) page at once; those a dropped packet or a reconnect
   * can produce wait for a second sample.
   */
  pendingSamples: number;
  /** A rebuild fixes it: its finding carries the rebuild command, and with autoPlan its plan. */
  fixedByRebuild: boolean;
  /**
   * The findings whose incident it belongs to, and that hold it (it is not paged, and not paged
   * RESOLVED) while they fire: how far each cause reaches is alerting/inhibit.ts's.
   */
  symptomOf: readonly CauseCode[];
  /** replwatch's own probe failing to reach the service: one incident with a failing path to the same endpoint. */
  reachFailure?: true;
  /** One line: when it is raised. */
  meaning: string;
  /** One line: what on-call does first (the finding itself carries the exact command). */
  next: string;
}

/** Codes that hold others (alerting/inhibit.ts gives each its reach). */
export type CauseCode = 'PrimaryUnreachable' | 'ReplicaIoError' | 'ErrantTransactions' | 'RebuildFailed' | 'ClusterUnchecked';

/** What a replica or primary shows is held while its rebuild died half-way, or while its cluster cannot be checked. */
const ON_SERVER: readonly CauseCode[] = ['RebuildFailed', 'ClusterUnchecked'];

// replwatch's own probe failing to reach a database server or a memcached node: a dropped packet or a reconnect can cause one miss, so a second sample confirms it.
const SERVER_NOT_REACHED = { check: 'replication', pendingSamples: 2, fixedByRebuild: false, symptomOf: ON_SERVER, reachFailure: true } as const;
const NODE_NOT_REACHED = { check: 'memcache', pendingSamples: 2, fixedByRebuild: false, symptomOf: [], reachFailure: true } as const;
/** What a dead primary explains on its replicas (analyseCluster folds them into its one finding). */
const OF_DEAD_PRIMARY: readonly CauseCode[] = ['PrimaryUnreachable', ...ON_SERVER];

export const CODES = {
  ReplicationBroken: {
    check: 'replication',
    severity: 'critical',
    pendingSamples: 1,
    fixedByRebuild: true,
    symptomOf: ['ErrantTransactions', ...ON_SERVER],
    meaning: 'SQL thread stopped with an error (the strict-mode break, 1950, an errant transaction causes is folded into it)',
    next: 'the summary has the error (`1062 Duplicate entry ...`); rebuild: `replwatch runbook rebuild-replica --cluster C --replica R`',
  },
  ReplicaIoError: {
    check: 'replication',
    severity: 'critical',
    pendingSamples: 2,
    fixedByRebuild: false,
    symptomOf: OF_DEAD_PRIMARY,
    meaning: 'IO thread stopped or reconnecting with an error',
    next: 'check the source is up and reachable from the replica, and the replication account',
  },
  ReplicationStopped: {
    check: 'replication',
    severity: 'warning',
    // Threads stopped with no error are someone's doing: a person repointing a replica (STOP
    // SLAVE; CHANGE MASTER ...; START SLAVE) must not be paged by their own fix.
    pendingSamples: 2,
    fixedByRebuild: false,
    symptomOf: ON_SERVER,
    meaning: 'threads stopped with no error (someone ran `STOP SLAVE`); paged from the second sample',
    next: 'if no maintenance is under way: `START SLAVE` (`START REPLICA` on MySQL)',
  },
  NotReplicating: {
    check: 'replication',
    severity: 'critical',
    pendingSamples: 1,
    fixedByRebuild: true,
    symptomOf: ON_SERVER,
    meaning: 'the replica has no replication configured',
    next: 'rebuild it',
  },
  ReplicaLagging: {
    check: 'replication',
    severity: 'warning/critical',
    // Already sustained by its own rule (lag.sustainedSamples).
    pendingSamples: 1,
    fixedByRebuild: false,
    symptomOf: ['ReplicaIoError', ...OF_DEAD_PRIMARY],
    meaning: 'lag over a threshold for `sustainedSamples` samples in a row',
    next: 'long transaction or write burst on the primary, pressure on the replica',
  },
  ReplicaUnreachable: {
    ...SERVER_NOT_REACHED,
    severity: 'critical',
    meaning: 'cannot connect or query within `timeoutMs`',
    next: 'is the server up, is the path open',
  },
  PrimaryUnreachable: {
    ...SERVER_NOT_REACHED,
    severity: 'critical',
    meaning:
      "the primary is down or frozen: unreachable from replwatch and no replica hears from it: their IO threads have lost it, or (with a heartbeat) their copies of its heartbeat row are older than `staleSeconds`, so it has stopped writing even while a frozen server's TCP connections still look up (until `slave_net_timeout`). One finding; the replicas' IO errors, lag and unknown lag are its symptoms and are folded into it. While the replicas cannot tell yet (copies still fresh but nothing written since replwatch lost it) the finding is provisional (`details.verdict: undecided`): shown and counted by `check`, not paged until decided",
    next: 'bring it back (`kill -CONT` a frozen one) or promote a replica',
  },
  MonitorPathDown: {
    ...SERVER_NOT_REACHED,
    severity: 'warning',
    meaning:
      "replwatch cannot reach the primary, but a replica still replicates from it (its only channel counts, by any name; with a heartbeat, its copy holds a row written since replwatch lost the primary): the fault is on replwatch's own path (`details.scope: monitor-path`; before 0.2.0, a `PrimaryUnreachable` warning)",
    next: 'the route, security group and DNS from replwatch to the primary; the database serves its replicas',
  },
  MonitorRefused: {
    check: 'replication',
    severity: 'warning',
    pendingSamples: 2,
    fixedByRebuild: false,
    symptomOf: ON_SERVER,
    meaning:
      'a server answered and refused replwatch: its account (1045, 1227, 1142, 4151 locked...) or the TLS handshake (`details.scope: monitor-path`; before 0.2.0, a `ReplicaUnreachable` or `PrimaryUnreachable` warning). When every server of a cluster refuses, `check` exits 3',
    next: "the monitor account's password, grants or lock; or the cluster's `tls` settings and the server's certificate",
  },
  ClusterUnchecked: {
    check: 'replication',
    severity: 'warning',
    pendingSamples: 2,
    fixedByRebuild: false,
    symptomOf: [],
    meaning:
      "the cluster's password reference resolves to nothing, so the cluster is not checked and its firing alerts are held (`details.scope: monitor-config`; before 0.2.0, a `PrimaryUnreachable` warning)",
    next: "the reference: set the variable, restore the parameter or secret, or grant replwatch's role access to it",
  },
  ReplicaWritable: {
    check: 'replication',
    severity: 'warning',
    pendingSamples: 1,
    fixedByRebuild: false,
    symptomOf: ON_SERVER,
    meaning: '`read_only` is off on a replica, or `super_read_only` is off where it exists (MySQL: SUPER accounts can still write)',
    next: '`SET GLOBAL read_only = ON` (`super_read_only = ON` on MySQL)',
  },
  ErrantTransactions: {
    check: 'replication',
    severity: 'critical',
    pendingSamples: 1,
    fixedByRebuild: true,
    symptomOf: ON_SERVER,
    meaning: 'GTIDs on a replica that the primary never had (those another channel of a multi-source replica brought are not errant)',
    next: 'rebuild it',
  },
  WrongPrimary: {
    check: 'replication',
    severity: 'critical',
    pendingSamples: 1,
    fixedByRebuild: false,
    symptomOf: ON_SERVER,
    meaning: 'the replica follows another server than the configured primary',
    next: 'fix the config or repoint the replica',
  },
  HeartbeatStale: {
    check: 'replication',
    severity: 'warning',
    pendingSamples: 2,
    fixedByRebuild: false,
    symptomOf: OF_DEAD_PRIMARY,
    meaning: "the primary's own heartbeat row is older than `staleSeconds`",
    next: 'start the writer; lag stays correct meanwhile (see [Lag](#lag))',
  },
  LagUnknown: {
    check: 'replication',
    severity: 'warning',
    // One failed CloudWatch call, or a datapoint published late, must not page.
    pendingSamples: 3,
    fixedByRebuild: false,
    symptomOf: OF_DEAD_PRIMARY,
    meaning:
      'an Aurora reader has no lag figure: no AuroraReplicaLag datapoint in 5 minutes, CloudWatch refused, or (with a heartbeat) no writer row on it; pages after 3 samples',
    next: "the replica's `rdsInstanceId`, `cloudwatch:GetMetricData`, or the heartbeat",
  },
  MonitorOverPrivileged: {
    check: 'replication',
    severity: 'info',
    pendingSamples: Number.POSITIVE_INFINITY,
    fixedByRebuild: false,
    symptomOf: [],
    meaning: "replwatch's account holds SUPER, writes, GRANT OPTION, PROCESS, or SELECT/SHOW VIEW on `*.*`",
    next: 'grant only what [Grants](config.md#grants) lists',
  },
  MemcacheUnreachable: {
    ...NODE_NOT_REACHED,
    severity: 'critical',
    meaning: 'refused, reset, or no answer within `timeoutMs` (a SIGSTOPped memcached accepts TCP in the kernel and never answers: caught at the deadline)',
    next: 'is memcached running, and not stopped; is the port reachable',
  },
  MemcacheSlow: {
    ...NODE_NOT_REACHED,
    severity: 'warning',
    meaning: 'the canary `get` round trip over `slowMs`',
    next: 'CPU, network, connection count on the node',
  },
  MemcacheDegraded: {
    check: 'memcache',
    severity: 'warning (critical for a mismatch)',
    pendingSamples: 1,
    fixedByRebuild: false,
    symptomOf: [],
    meaning:
      'a value set and read straight back differed or was refused; evictions/s over `evictionsPerSecond`; `listen_disabled_num` rose (connection limit hit); a restart (new pid or uptime went down: the cache is cold)',
    next: 'memory (`-m`), connection limit (`-c`), restarts',
  },
  PacketLoss: {
    check: 'network',
    severity: 'warning/critical',
    pendingSamples: 2,
    fixedByRebuild: false,
    symptomOf: [],
    meaning: 'TCP-handshake loss to a target over `loss.warningPercent`/`criticalPercent`',
    next: 'a saturated or faulty link, NIC or appliance on the path',
  },
  HostUnreachable: {
    check: 'network',
    severity: 'critical (warning: not probed)',
    pendingSamples: 2,
    fixedByRebuild: false,
    symptomOf: [],
    meaning:
      'every probe to a target was lost; a warning when replwatch could not probe it at all (Node refused the address, `details.scope: monitor-config`), the other targets probed as usual',
    next: 'is the host up; the route and security groups; or the target in the config',
  },
  RebuildFailed: {
    check: 'runbook',
    severity: 'critical',
    pendingSamples: 1,
    fixedByRebuild: false,
    symptomOf: [],
    meaning:
      'a rebuild (by hand, auto or the Lambda) failed, or died (killed, crashed: its lease lapsed) half-way; the replica is left stopped and read_only, and its other findings are held (one incident)',
    next: "fix the cause named in the page, then the page's `... --execute --resume`",
  },
  StateUnreadable: {
    check: 'monitor',
    severity: 'critical',
    // Paging is off while it lasts: said at once.
    pendingSamples: 1,
    fixedByRebuild: false,
    symptomOf: [],
    meaning:
      'the alert state (the state file of `watch`, the DynamoDB table of the Lambdas) cannot be read or written: nothing pages through it. Paged straight to the sinks that need no state (console, JSONL, SNS, the log) when it starts and when it ends (target: the file or table; cluster `replwatch`)',
    next: 'the error in the summary: permissions, disk space, a directory in its place; the table, its IAM policy, the route to DynamoDB',
  },
} as const satisfies Record<string, CodeEntry>;

export type FindingCode = keyof typeof CODES;

export const FINDING_CODES = Object.keys(CODES) as FindingCode[];

const entry = (code: FindingCode): CodeEntry => CODES[code];

export const codesWhere = (test: (e: CodeEntry) => boolean): ReadonlySet<FindingCode> => new Set(FINDING_CODES.filter((c) => test(entry(c))));

/**
 * Which scheduled check pages which codes: each check's Lambda pages for its own. The replication
 * check also pages rebuilds that died half-way (it reads their locks in the state store).
 */
export const CODES_BY_CHECK: Record<'replication' | 'memcache' | 'network', ReadonlySet<FindingCode>> = {
  replication: codesWhere((e) => e.check === 'replication' || e.check === 'runbook'),
  memcache: codesWhere((e) => e.check === 'memcache'),
  network: codesWhere((e) => e.check === 'network'),
};

/** What the replication probes read on the servers themselves, as opposed to the state store. */
export const SERVER_REPLICATION_CODES = codesWhere((e) => e.check === 'replication');

/** What a dead primary explains, folded into its one finding and held while it fires: one set, so that what is folded is also what is held. */
export const DEAD_PRIMARY_SYMPTOMS = codesWhere((e) => e.symptomOf.includes('PrimaryUnreachable'));

/** Findings a rebuild fixes. */
export const REBUILD_CODES = codesWhere((e) => e.fixedByRebuild);

/** replwatch's own probe of a service failing to reach it. */
export const REACH_FAILURES = codesWhere((e) => e.reachFailure === true);

export const pendingSamples = (code: FindingCode): number => entry(code).pendingSamples;

export const isSymptomOf = (code: FindingCode, cause: CauseCode): boolean => entry(code).symptomOf.includes(cause);
