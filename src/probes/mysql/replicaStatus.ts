import type { ReplicationChannel } from '../../model/observations';

/**
 * Normalises one row of SHOW ALL SLAVES STATUS (MariaDB), SHOW SLAVE STATUS (MySQL 5.7)
 * or SHOW REPLICA STATUS (MySQL 8.0.22+, whose columns say Source/Replica).
 */
export type StatusRow = Record<string, unknown>;

function pick(row: StatusRow, ...names: string[]): unknown {
  for (const n of names) if (row[n] !== undefined) return row[n];
  return undefined;
}

function text(v: unknown): string {
  if (v === null || v === undefined) return '';
  return Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
}

function int(v: unknown): number | null {
  if (v === null || v === undefined || v === '') return null;
  const n = Number(text(v));
  return Number.isFinite(n) ? n : null;
}

export function normaliseStatusRow(row: StatusRow): ReplicationChannel {
  const usingGtid = text(pick(row, 'Using_Gtid')); // MariaDB: No | Slave_Pos | Current_Pos
  const autoPosition = int(pick(row, 'Auto_Position')); // MySQL: 0 | 1
  const sourceServerId = int(pick(row, 'Source_Server_Id', 'Master_Server_Id'));
  const uuid = text(pick(row, 'Source_UUID', 'Master_UUID'));
  return {
    name: text(pick(row, 'Connection_name', 'Channel_Name', 'Channel_name')),
    sourceHost: text(pick(row, 'Source_Host', 'Master_Host')),
    sourcePort: int(pick(row, 'Source_Port', 'Master_Port')) ?? 3306,
    sourceServerId: sourceServerId === 0 ? null : sourceServerId,
    sourceUuid: uuid === '' ? null : uuid,
    ioRunning: text(pick(row, 'Replica_IO_Running', 'Slave_IO_Running')) === 'Yes',
    ioState: text(pick(row, 'Replica_IO_Running', 'Slave_IO_Running')),
    sqlRunning: text(pick(row, 'Replica_SQL_Running', 'Slave_SQL_Running')) === 'Yes',
    ioErrno: int(pick(row, 'Last_IO_Errno')) ?? 0,
    ioError: text(pick(row, 'Last_IO_Error')),
    sqlErrno: int(pick(row, 'Last_SQL_Errno')) ?? 0,
    sqlError: text(pick(row, 'Last_SQL_Error')),
    secondsBehind: int(pick(row, 'Seconds_Behind_Source', 'Seconds_Behind_Master')),
    sqlDelay: int(pick(row, 'SQL_Delay')) ?? 0,
    usingGtid: (usingGtid !== '' && usingGtid !== 'No') || autoPosition === 1,
    receivedGtids: text(pick(row, 'Gtid_IO_Pos', 'Retrieved_Gtid_Set')).replace(/\s+/g, ''),
  };
}

/** Which statement lists replication channels on this server version. */
export function replicaStatusStatement(flavor: 'mariadb' | 'mysql', version: string): string {
  if (flavor === 'mariadb') return 'SHOW ALL SLAVES STATUS';
  const [major = 0, minor = 0, patch = 0] = version.split(/[.-]/).map((p) => Number.parseInt(p, 10) || 0);
  const atLeast8022 = major > 8 || (major === 8 && (minor > 0 || patch >= 22));
  return atLeast8022 ? 'SHOW REPLICA STATUS' : 'SHOW SLAVE STATUS';
}
