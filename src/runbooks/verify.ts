import { query, type Connection } from '../mysql/connections';
import { ident, qualified } from '../mysql/identifiers';
import type { TableInfo } from './inventory';
import { tableKey } from './checkpoint';
import { waitUntilApplied } from './replication';
import { exactColumn } from './values';

export interface ChecksumResult {
  table: string;
  rows: number;
  primary: string;
  replica: string;
  match: boolean;
}

const LONG = 600_000;

/**
 * Row count and an order-independent sum of every row's CRC (pt-table-checksum's idea, whole
 * table). A sum, not BIT_XOR: two identical rows XOR to nothing, so a table without a primary key
 * whose duplicate pair became another duplicate pair would compare equal. SUM over BIGINT UNSIGNED
 * is a DECIMAL in MariaDB: it cannot wrap, whatever the row count. Each value goes into the CRC
 * in a form that tells it apart from every other (exactColumn): a FLOAT's display form would let
 * a copy that rounded it pass.
 */
export function checksumSql(t: TableInfo): string {
  const values = t.columns.map((c) => exactColumn(t, c));
  const nulls = t.columns.map((c) => `ISNULL(${ident(c)})`).join(', ');
  return `SELECT COUNT(*) AS n, COALESCE(SUM(CAST(CRC32(CONCAT_WS('#', ${values.join(', ')}, CONCAT(${nulls}))) AS UNSIGNED)), 0) AS c FROM ${qualified(t.schema, t.name)}`;
}

/**
 * UNTIL stops both threads once reached (the IO thread possibly just after the SQL one): stop
 * them for certain, then start again without the condition.
 */
async function restart(replica: Connection, timeoutMs: number): Promise<void> {
  await query(replica, 'STOP SLAVE', timeoutMs);
  await query(replica, 'START SLAVE', timeoutMs);
}

/**
 * Compares every table between the primary and the replica at one GTID position: the primary's
 * state is read in a consistent snapshot at position P, and the replica is stopped exactly at P
 * (START SLAVE UNTIL master_gtid_pos) while it is read, then let go. Only reads the primary.
 */
export async function checksumTables(tables: TableInfo[], primary: Connection, replica: Connection, timeoutMs: number): Promise<ChecksumResult[]> {
  await query(replica, 'STOP SLAVE', timeoutMs);
  let compared = false;
  try {
    await query(primary, 'SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ', timeoutMs);
    await query(primary, 'START TRANSACTION WITH CONSISTENT SNAPSHOT', timeoutMs);
    const status = await query<{ Variable_name: string; Value: string }>(primary, "SHOW STATUS LIKE 'binlog_snapshot_%'", timeoutMs);
    const get = (n: string) => status.find((r) => r.Variable_name === n)?.Value ?? '';
    const [pos] = await query<{ g: string }>(primary, 'SELECT BINLOG_GTID_POS(?, ?) AS g', timeoutMs, [
      get('Binlog_snapshot_file'),
      Number(get('Binlog_snapshot_position')),
    ]);
    const position = String(pos?.g ?? '');
    await query(replica, `START SLAVE UNTIL master_gtid_pos = ?`, timeoutMs, [position]);
    await waitUntilApplied(replica, position, 60, timeoutMs, false);
    const out: ChecksumResult[] = [];
    for (const t of tables.filter((x) => x.columns.length > 0)) {
      // Two servers, two connections: both sides of a table are read at once.
      const [[a], [b]] = await Promise.all([
        query<{ n: string; c: string }>(primary, checksumSql(t), LONG),
        query<{ n: string; c: string }>(replica, checksumSql(t), LONG),
      ]);
      out.push({ table: tableKey(t), rows: Number(a?.n), primary: String(a?.c), replica: String(b?.c), match: a?.n === b?.n && a?.c === b?.c });
    }
    await query(primary, 'COMMIT', timeoutMs);
    compared = true;
    await restart(replica, timeoutMs);
    // Done means replicating: both threads running again (a monitor sampling right after the
    // rebuild must find a healthy replica, not one still connecting).
    await waitUntilApplied(replica, position, 30, timeoutMs, true);
    return out;
  } finally {
    if (!compared) await restart(replica, timeoutMs).catch(() => undefined);
  }
}
