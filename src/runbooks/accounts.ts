import type { ClusterConfig, ServerConfig } from '../config/schema';
import type { SecretResolver } from '../config/secrets';
import { clusterEndpoint, type Connection, type MysqlConnections, type MysqlEndpoint } from '../mysql/connections';
import { RunbookRefusal } from './errors';

/** The account a rebuild runs as: `--user/--password`, else the cluster's `admin`. */
export interface AdminAccount {
  user: string;
  /** A literal or a secret reference (env:, ssm:, secret:). */
  password: string;
}

export function adminAccount(cluster: ClusterConfig, override?: { user?: string; password?: string }): AdminAccount | undefined {
  if (override?.user) return { user: override.user, password: override.password ?? '' };
  return cluster.admin;
}

export function adminEndpoint(c: ClusterConfig, s: ServerConfig, a: AdminAccount): MysqlEndpoint {
  return clusterEndpoint(c, s, a.user, `runbook-admin/${s.name}`);
}

/**
 * The server refusing an account (wrong password, no such user, locked, no access to a schema) or
 * a statement (a privilege it lacks): MariaDB's and MySQL's errnos for these.
 */
const ACCESS_ERRNOS = new Set([1044, 1045, 1142, 1143, 1227, 1370, 1698, 3118, 4151]);

/** Which server, as which account: what a person needs to fix a refusal. */
export const serverLabel = (s: ServerConfig, a: AdminAccount): string => `${s.name} (${s.host}:${s.port}) as ${a.user}`;

/** The server's own words: errno and message. */
export function serverMessage(e: unknown): string {
  const err = e as { errno?: number; message?: string };
  return err.errno && !String(err.message).startsWith(String(err.errno)) ? `${err.errno} ${err.message}` : String(err.message ?? e);
}

export const isAccessError = (e: unknown): boolean => ACCESS_ERRNOS.has(Number((e as { errno?: number }).errno));

/**
 * A connection of the rebuild's account to `s`. A server that refuses the account, or cannot be
 * reached, is a refusal naming the server, its address, the account and the server's message:
 * the runbook connects everywhere before it changes anything.
 */
export async function adminConnection(
  connections: MysqlConnections,
  c: ClusterConfig,
  s: ServerConfig,
  a: AdminAccount,
  secrets: SecretResolver,
  key?: string,
): Promise<Connection> {
  const password = await secrets.resolve(a.password);
  try {
    return await connections.get({ ...adminEndpoint(c, s, a), ...(key ? { key: `${key}/${s.name}` } : {}) }, async () => password);
  } catch (e) {
    const where = `${s.name} (${s.host}:${s.port})`;
    throw new RunbookRefusal(
      isAccessError(e) ? `${where} refused the account ${a.user}: ${serverMessage(e)}` : `cannot reach ${where} as ${a.user}: ${serverMessage(e)}`,
    );
  }
}
