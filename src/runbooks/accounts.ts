import type { ClusterConfig, ServerConfig } from '../config/schema';
import { clusterEndpoint, type MysqlEndpoint } from '../probes/mysql/connections';

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
