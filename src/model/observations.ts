/** What the probes saw. Plain data: no decisions, no severities (those live in health/). */

export type LagSource = 'heartbeat' | 'seconds_behind' | 'cloudwatch';
export type Flavor = 'mariadb' | 'mysql';

/** One replication channel, normalised across MariaDB, MySQL 5.7 and MySQL 8.x column names. */
export interface ReplicationChannel {
  /** MariaDB connection name / MySQL channel name; '' for the default one. */
  name: string;
  sourceHost: string;
  sourcePort: number;
  /** Server id of the source as the replica last saw it; null before the first connect. */
  sourceServerId: number | null;
  sourceUuid: string | null;
  /** 'Yes' | 'No' | 'Connecting' collapsed: only 'Yes' is running. */
  ioRunning: boolean;
  ioState: string;
  sqlRunning: boolean;
  ioErrno: number;
  ioError: string;
  sqlErrno: number;
  sqlError: string;
  /** Seconds_Behind_Master/Source; null when the server itself does not know. */
  secondsBehind: number | null;
  sqlDelay: number;
  usingGtid: boolean;
  /** GTIDs this channel has received (MariaDB Gtid_IO_Pos, MySQL Retrieved_Gtid_Set); '' if none. */
  receivedGtids: string;
}

export interface HeartbeatRow {
  serverId: number;
  /** The row's ts in seconds since the epoch: written by the clock of the server `serverId`. */
  writtenAt: number;
  /** Seconds between the row's ts and this server's UTC_TIMESTAMP(6), computed by the server. */
  ageSeconds: number;
}

export interface Grants {
  /** Privileges that a monitor does not need and should not hold, as the server listed them. */
  excess: string[];
}

/** Everything one probe read from one server in one sample. */
export interface ServerReading {
  cluster: string;
  target: string;
  role: 'primary' | 'replica';
  host: string;
  port: number;
  reachable: boolean;
  /** Why the probe failed, when it did (connect refused, timeout, access denied...). */
  error?: {
    code: string;
    message: string;
    /** The server's error number (1045, 1227...), when the server itself answered. */
    errno?: number;
  };
  probeMs: number;
  flavor?: Flavor;
  version?: string;
  serverId?: number;
  serverUuid?: string | null;
  readOnly?: boolean;
  superReadOnly?: boolean | null;
  channels?: ReplicationChannel[];
  /** MariaDB @@gtid_binlog_state, or MySQL @@gtid_executed. */
  gtidExecuted?: string;
  /** Heartbeat rows visible on this server; undefined when no heartbeat table is configured. */
  heartbeat?: HeartbeatRow[];
  /**
   * When the heartbeat rows were read, by the monitor's monotonic clock (ms, the midpoint of the
   * query): lag compares two servers' rows, and the time between the two reads is not lag.
   */
  heartbeatReadAt?: number;
  heartbeatError?: string;
  grants?: Grants;
}

/** JSON contract: `observations[]` entries of kind mysql-*. */
export interface MysqlReplicaObservation {
  kind: 'mysql-replica';
  cluster: string;
  target: string;
  reachable: boolean;
  lagSeconds: number | null;
  lagSource: LagSource | null;
  ioRunning: boolean | null;
  sqlRunning: boolean | null;
  readOnly: boolean | null;
  source: { host: string; port: number } | null;
  probeMs: number;
  error?: string;
}

export interface MysqlPrimaryObservation {
  kind: 'mysql-primary';
  cluster: string;
  target: string;
  reachable: boolean;
  readOnly: boolean | null;
  heartbeatAgeSeconds: number | null;
  probeMs: number;
  error?: string;
}

/** JSON contract: `observations[]` entries of kind memcache. */
export interface MemcacheObservation {
  kind: 'memcache';
  pool: string;
  target: string;
  reachable: boolean;
  roundTripMs: number | null;
  version?: string | null;
  uptimeSeconds?: number | null;
  currConnections?: number | null;
  evictions?: number | null;
  error?: string;
}

/** JSON contract: `observations[]` entries of kind network. */
export interface NetworkObservation {
  kind: 'network';
  group: string;
  target: string;
  /** `tcp` for replwatch's own handshakes, `networkmonitor` for AWS Network Synthetic Monitor. */
  source: 'tcp' | 'networkmonitor';
  lossPercent: number | null;
  rttMs: { p50: number | null; p95: number | null; max: number | null };
  jitterMs: number | null;
  sent?: number;
  lost?: number;
  error?: string;
}

export type Observation = MysqlReplicaObservation | MysqlPrimaryObservation | MemcacheObservation | NetworkObservation;
