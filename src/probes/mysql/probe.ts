import type { Flavor, ServerReading } from '../../model/observations';
import { quoteQualified } from '../../heartbeat/sql';
import { excessPrivileges } from './grants';
import { MysqlConnections, query, type Connection, type MysqlEndpoint } from './connections';
import { normaliseStatusRow, replicaStatusStatement, type StatusRow } from './replicaStatus';

export interface MysqlTarget extends MysqlEndpoint {
  cluster: string;
  name: string;
  role: 'primary' | 'replica';
  /** `db.table` of a pt-heartbeat compatible table, when configured. */
  heartbeatTable?: string;
}

const versionCache = new WeakMap<Connection, { flavor: Flavor; version: string }>();

async function serverVersion(conn: Connection, timeoutMs: number): Promise<{ flavor: Flavor; version: string }> {
  let v = versionCache.get(conn);
  if (!v) {
    const [row] = await query<{ v: string }>(conn, 'SELECT VERSION() AS v', timeoutMs);
    const version = String(row?.v ?? '');
    v = { flavor: /mariadb/i.test(version) ? 'mariadb' : 'mysql', version };
    versionCache.set(conn, v);
  }
  return v;
}

/**
 * Reads everything the health rules need from one server, in one sample. Never throws: a server
 * that cannot be reached or queried in time comes back as `reachable: false` with the reason.
 */
export async function probeServer(pool: MysqlConnections, target: MysqlTarget, password: () => Promise<string>): Promise<ServerReading> {
  const started = performance.now();
  const base = { cluster: target.cluster, target: target.name, role: target.role, host: target.host, port: target.port };
  const t = target.timeoutMs;
  try {
    const conn = await pool.get(target, password);
    const { flavor, version } = await serverVersion(conn, t);
    const [vars] =
      flavor === 'mariadb'
        ? await query(conn, 'SELECT @@server_id AS serverId, NULL AS uuid, @@read_only AS ro, NULL AS sro, @@gtid_binlog_state AS gtids', t)
        : await query(conn, 'SELECT @@server_id AS serverId, @@server_uuid AS uuid, @@read_only AS ro, @@super_read_only AS sro, @@gtid_executed AS gtids', t);
    const status = await query<StatusRow>(conn, replicaStatusStatement(flavor, version), t);
    const reading: ServerReading = {
      ...base,
      reachable: true,
      probeMs: 0,
      flavor,
      version,
      serverId: Number(vars?.serverId),
      serverUuid: vars?.uuid == null ? null : String(vars.uuid),
      readOnly: Number(vars?.ro) === 1,
      superReadOnly: vars?.sro == null ? null : Number(vars.sro) === 1,
      gtidExecuted: String(vars?.gtids ?? ''),
      channels: status.map(normaliseStatusRow),
    };
    if (target.heartbeatTable) {
      try {
        const rows = await query<{ serverId: string; age: string | null }>(
          conn,
          `SELECT server_id AS serverId, TIMESTAMPDIFF(MICROSECOND, ts, UTC_TIMESTAMP(6)) / 1000000 AS age FROM ${quoteQualified(target.heartbeatTable)}`,
          t,
        );
        reading.heartbeat = rows.filter((r) => r.age !== null).map((r) => ({ serverId: Number(r.serverId), ageSeconds: Number(r.age) }));
      } catch (e) {
        // A missing table or grant is reported and lag falls back to Seconds_Behind_*.
        reading.heartbeat = [];
        reading.heartbeatError = (e as Error).message;
      }
    }
    const grants = await query<Record<string, string>>(conn, 'SHOW GRANTS', t);
    reading.grants = { excess: excessPrivileges(grants.map((g) => String(Object.values(g)[0]))) };
    reading.probeMs = performance.now() - started;
    return reading;
  } catch (e) {
    pool.drop(target);
    const err = e as { code?: string; message?: string; errno?: number };
    // Node's own socket errors carry negative errnos; only the server's numbers are worth keeping.
    const errno = typeof err.errno === 'number' && err.errno > 0 ? { errno: err.errno } : {};
    return {
      ...base,
      reachable: false,
      error: { code: err.code ?? 'ERROR', message: err.message ?? String(e), ...errno },
      probeMs: performance.now() - started,
    };
  }
}
