import type { Flavor, ServerReading } from '../../model/observations';
import { quoteQualified } from '../../heartbeat/sql';
import { excessPrivileges } from './grants';
import { type MysqlConnections, query, type Connection, type MysqlEndpoint } from '../../mysql/connections';
import { normaliseStatusRow, replicaStatusStatement, type StatusRow } from './replicaStatus';

export interface MysqlTarget extends MysqlEndpoint {
  cluster: string;
  name: string;
  role: 'primary' | 'replica';
  /** `db.table` of a pt-heartbeat compatible table, when configured. */
  heartbeatTable?: string;
}

type Position = Pick<ServerReading, 'gtidExecuted' | 'heartbeat' | 'heartbeatError' | 'heartbeatReadAt'>;

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

function baseOf(target: MysqlTarget) {
  return { cluster: target.cluster, target: target.name, role: target.role, host: target.host, port: target.port };
}

function failed(pool: MysqlConnections, target: MysqlTarget, e: unknown, probeMs: number): ServerReading {
  pool.drop(target);
  const err = e as { code?: string; message?: string; errno?: number };
  // Node's own socket errors carry negative errnos; only the server's numbers are worth keeping.
  const errno = typeof err.errno === 'number' && err.errno > 0 ? { errno: err.errno } : {};
  return { ...baseOf(target), reachable: false, error: { code: err.code ?? 'ERROR', message: err.message ?? String(e), ...errno }, probeMs };
}

/** What replicas are compared against: the GTID set and the heartbeat rows, as of now. */
async function readPosition(conn: Connection, flavor: Flavor, target: MysqlTarget): Promise<Position> {
  const t = target.timeoutMs;
  const [row] = await query(conn, flavor === 'mariadb' ? 'SELECT @@gtid_binlog_state AS gtids' : 'SELECT @@gtid_executed AS gtids', t);
  const position: Position = { gtidExecuted: String(row?.gtids ?? '') };
  if (!target.heartbeatTable) return position;
  try {
    // writtenAt is the ts as written, by the clock of the server that wrote the row; age is by
    // this server's clock, and only stands in when the writer's own row cannot be read.
    const sent = performance.now();
    const rows = await query<{ serverId: string; writtenAt: string | null; age: string | null }>(
      conn,
      `SELECT server_id AS serverId, TIMESTAMPDIFF(MICROSECOND, '1970-01-01', ts) / 1000000 AS writtenAt, TIMESTAMPDIFF(MICROSECOND, ts, UTC_TIMESTAMP(6)) / 1000000 AS age FROM ${quoteQualified(target.heartbeatTable)}`,
      t,
    );
    position.heartbeatReadAt = (sent + performance.now()) / 2;
    position.heartbeat = rows
      .filter((r) => r.writtenAt !== null && r.age !== null)
      .map((r) => ({ serverId: Number(r.serverId), writtenAt: Number(r.writtenAt), ageSeconds: Number(r.age) }));
  } catch (e) {
    // A missing table or grant is reported and lag falls back to Seconds_Behind_*.
    position.heartbeat = [];
    position.heartbeatError = (e as Error).message;
  }
  return position;
}

/**
 * Reads everything the health rules need from one server, in one sample. Never throws: a server
 * that cannot be reached or queried in time comes back as `reachable: false` with the reason.
 * Without `position`, the GTID set and heartbeat are left for `probePosition`.
 */
export async function probeServer(
  pool: MysqlConnections,
  target: MysqlTarget,
  password: () => Promise<string>,
  { position = true } = {},
): Promise<ServerReading> {
  const started = performance.now();
  const t = target.timeoutMs;
  try {
    const conn = await pool.get(target, password);
    const { flavor, version } = await serverVersion(conn, t);
    const [vars] =
      flavor === 'mariadb'
        ? await query(conn, 'SELECT @@server_id AS serverId, NULL AS uuid, @@read_only AS ro, NULL AS sro', t)
        : await query(conn, 'SELECT @@server_id AS serverId, @@server_uuid AS uuid, @@read_only AS ro, @@super_read_only AS sro', t);
    const status = await query<StatusRow>(conn, replicaStatusStatement(flavor, version), t);
    const grants = await query<Record<string, string>>(conn, 'SHOW GRANTS', t);
    const reading: ServerReading = {
      ...baseOf(target),
      reachable: true,
      probeMs: 0,
      flavor,
      version,
      serverId: Number(vars?.serverId),
      serverUuid: vars?.uuid == null ? null : String(vars.uuid),
      readOnly: Number(vars?.ro) === 1,
      superReadOnly: vars?.sro == null ? null : Number(vars.sro) === 1,
      channels: status.map(normaliseStatusRow),
      grants: { excess: excessPrivileges(grants.map((g) => String(Object.values(g)[0]))) },
      ...(position ? await readPosition(conn, flavor, target) : {}),
    };
    reading.probeMs = performance.now() - started;
    return reading;
  } catch (e) {
    return failed(pool, target, e, performance.now() - started);
  }
}

/** Adds the GTID set and heartbeat rows to a reading taken with `position: false`. */
export async function probePosition(
  pool: MysqlConnections,
  target: MysqlTarget,
  password: () => Promise<string>,
  reading: ServerReading,
): Promise<ServerReading> {
  if (!reading.reachable || !reading.flavor) return reading;
  const started = performance.now();
  try {
    const conn = await pool.get(target, password);
    return { ...reading, ...(await readPosition(conn, reading.flavor, target)), probeMs: reading.probeMs + performance.now() - started };
  } catch (e) {
    return failed(pool, target, e, reading.probeMs + performance.now() - started);
  }
}
