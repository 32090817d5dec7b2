import mysql from 'mysql2/promise';
import { withDeadline } from '../../util/deadline';

export interface MysqlEndpoint {
  /** Names the connection: targets listed twice under different names get one each. */
  key: string;
  host: string;
  port: number;
  user: string;
  timeoutMs: number;
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
