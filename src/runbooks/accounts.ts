import type { ClusterConfig, ServerConfig } from '../config/schema';
import type { MysqlEndpoint } from '../probes/mysql/connections';

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

export function adminEndpoint(s: ServerConfig, a: AdminAccount, timeoutMs: number): MysqlEndpoint {
  return { key: `runbook-admin/${s.name}`, host: s.host, port: s.port, user: a.user, timeoutMs };
}
