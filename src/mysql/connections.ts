import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import mysql from 'mysql2/promise';
import type { ClusterConfig } from '../config/schema';
import { withDeadline } from '../util/deadline';

export interface MysqlEndpoint {
  /** Names the connection: targets listed twice under different names get one each. */
  key: string;
  host: string;
  port: number;
  user: string;
  timeoutMs: number;
  /** TLS, verified: against the PEM file `ca` (an absolute path), else Node's trusted CAs. */
  tls?: { ca?: string };
}

/** An endpoint of one of a cluster's servers, with the cluster's deadline and TLS settings. */
export function clusterEndpoint(c: Pick<ClusterConfig, 'timeoutMs' | 'tls'>, s: { host: string; port: number }, user: string, key: string): MysqlEndpoint {
  return { key, host: s.host, port: s.port, user, timeoutMs: c.timeoutMs, ...(c.tls ? { tls: c.tls } : {}) };
}

// Config loading has checked each file; read once per process, not once per connection.
const caFiles = new Map<string, string>();
const caPem = (file: string) => caFiles.get(file) ?? caFiles.set(file, readFileSync(file, 'utf8')).get(file)!;

/**
 * mysql2's TLS options: the chain always verified, and the certificate's name checked against
 * the host when the host is a name. For an IP address mysql2 sends no server name and would check
 * the certificate against "localhost", so only the chain is verified there.
 */
function ssl(ep: MysqlEndpoint): mysql.SslOptions | undefined {
  if (!ep.tls) return undefined;
  return { ...(ep.tls.ca ? { ca: caPem(ep.tls.ca) } : {}), rejectUnauthorized: true, verifyIdentity: isIP(ep.host) === 0 };
}

export type Connection = mysql.Connection;

/**
 * One open connection per server and account, reused across the samples of a run (a watch, one
 * Lambda invocation) and closed by closeAll at its end, so none is left half-open across a freeze.
 * A connection that failed or timed out is destroyed, and the next sample dials afresh.
 */
export class MysqlConnections {
  private readonly open = new Map<string, Promise<Connection>>();

  async get(ep: MysqlEndpoint, password: () => Promise<string>): Promise<Connection> {
    const key = `${ep.key} ${ep.user}@${ep.host}:${ep.port}`;
    let conn = this.open.get(key);
    if (!conn) {
      conn = this.dial(ep, password);
      this.open.set(key, conn);
      conn.catch(() => this.open.delete(key));
    }
    return conn;
  }

  private async dial(ep: MysqlEndpoint, password: () => Promise<string>): Promise<Connection> {
    const pw = await password();
    // connectTimeout covers TCP connect and the handshake: a SIGSTOPped server accepts the
    // connection in the kernel and never greets. The outer deadline is a second net.
    const pending = mysql.createConnection({
      host: ep.host,
      port: ep.port,
      user: ep.user,
      password: pw,
      connectTimeout: ep.timeoutMs,
      ssl: ssl(ep),
      dateStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
    });
    const conn = await withDeadline(pending, ep.timeoutMs + 250, `connect ${ep.host}:${ep.port}`, () => {
      pending.then((c) => c.destroy()).catch(() => undefined);
    });
    // An idle connection dropped by the server must not crash the process.
    conn.on('error', () => this.drop(ep));
    return conn;
  }

  /** Forgets and destroys the connection, so the next `get` reconnects. */
  drop(ep: Pick<MysqlEndpoint, 'key' | 'host' | 'port' | 'user'>): void {
    const key = `${ep.key} ${ep.user}@${ep.host}:${ep.port}`;
    const conn = this.open.get(key);
    this.open.delete(key);
    conn?.then((c) => c.destroy()).catch(() => undefined);
  }

  async closeAll(timeoutMs = 1000): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all(
      all.map(async (p) => {
        const c = await p.catch(() => undefined);
        if (!c) return;
        await withDeadline(c.end(), timeoutMs, 'close').catch(() => c.destroy());
      }),
    );
  }
}

/** Runs one statement with the endpoint's deadline; rows come back as plain objects. */
export async function query<T = Record<string, unknown>>(conn: Connection, sql: string, timeoutMs: number, values?: unknown[]): Promise<T[]> {
  const [rows] = await withDeadline(conn.query({ sql, timeout: timeoutMs, values }), timeoutMs + 250, sql.split(' ').slice(0, 3).join(' '), () =>
    conn.destroy(),
  );
  return rows as T[];
}
