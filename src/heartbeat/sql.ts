import { ident } from '../mysql/identifiers';

/**
 * The pt-heartbeat table and the statement that writes it, shared by the heartbeat Lambda,
 * `replwatch heartbeat install` (a MySQL EVENT) and the sandbox. ts is UTC with microseconds,
 * as pt-heartbeat --utc writes it, so pt-heartbeat and replwatch can read each other's rows.
 */
/** `db.table` (as the config gives it: the schema checks there is exactly one dot) quoted. */
export function quoteQualified(table: string): string {
  return table.split('.').map(ident).join('.');
}

export function createTableSql(table: string): string {
  return `CREATE TABLE IF NOT EXISTS ${quoteQualified(table)} (
  ts varchar(26) NOT NULL,
  server_id int unsigned NOT NULL PRIMARY KEY,
  file varchar(255) DEFAULT NULL,
  position bigint unsigned DEFAULT NULL,
  relay_master_log_file varchar(255) DEFAULT NULL,
  exec_master_log_pos bigint unsigned DEFAULT NULL
) ENGINE=InnoDB`;
}

export function writeHeartbeatSql(table: string): string {
  return `INSERT INTO ${quoteQualified(table)} (ts, server_id) VALUES (DATE_FORMAT(UTC_TIMESTAMP(6), '%Y-%m-%dT%H:%i:%s.%f'), @@server_id) ON DUPLICATE KEY UPDATE ts = VALUES(ts)`;
}

export const EVENT_NAME = 'replwatch_heartbeat';

export function createEventSql(table: string, intervalSeconds: number): string {
  const db = table.split('.')[0]!;
  return `CREATE EVENT IF NOT EXISTS ${quoteQualified(`${db}.${EVENT_NAME}`)} ON SCHEDULE EVERY ${intervalSeconds} SECOND DO ${writeHeartbeatSql(table)}`;
}
