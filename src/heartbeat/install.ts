import type { Connection } from '../mysql/connections';
import { query } from '../mysql/connections';
import { EVENT_NAME, createEventSql, createTableSql, quoteQualified, writeHeartbeatSql } from './sql';

export interface InstallResult {
  table: string;
  event: string;
  eventSchedulerOn: boolean;
  /** What the operator still has to do, if anything. */
  advice?: string;
}

/**
 * Creates the heartbeat table and a MySQL EVENT that writes it every `intervalSeconds`, on a
 * primary, for sites that want no Lambda in the loop. Idempotent.
 */
export async function installHeartbeat(conn: Connection, table: string, intervalSeconds: number, timeoutMs: number): Promise<InstallResult> {
  const db = table.split('.')[0]!;
  await query(conn, `CREATE DATABASE IF NOT EXISTS ${quoteQualified(db)}`, timeoutMs);
  await query(conn, createTableSql(table), timeoutMs);
  await query(conn, createEventSql(table, intervalSeconds), timeoutMs);
  await query(conn, writeHeartbeatSql(table), timeoutMs);
  const [row] = await query<{ on: string }>(conn, 'SELECT @@event_scheduler AS `on`', timeoutMs);
  const eventSchedulerOn = String(row?.on).toUpperCase() === 'ON';
  return {
    table,
    event: `${db}.${EVENT_NAME}`,
    eventSchedulerOn,
    ...(eventSchedulerOn
      ? {}
      : { advice: 'the event scheduler is off, so the event will not run: SET GLOBAL event_scheduler = ON, and event_scheduler=ON in my.cnf' }),
  };
}

/** One heartbeat write, as the heartbeat Lambda does it every second. */
export async function writeHeartbeat(conn: Connection, table: string, timeoutMs: number): Promise<void> {
  await query(conn, writeHeartbeatSql(table), timeoutMs);
}
