import type { Finding } from '../../../model/findings';
import type { ServerReading } from '../../../model/observations';
import { endpoint, tlsFailure, type ClusterFacts, type Vote } from '../facts';
import { round, type ReplicaRule } from './replica';

/*
 * The situations where the fault is the monitor's own, not the database's: its account or TLS
 * refused, its password reference unreadable, its account holding more than it needs.
 */

const refusal = (r: ServerReading) =>
  tlsFailure(r)
    ? `the TLS connection to the server failed: ${r.error?.code} ${r.error?.message}`
    : `the monitor's account was refused: ${r.error?.errno} ${r.error?.message}`;

const fixAccount = (r: ServerReading) =>
  tlsFailure(r)
    ? `fix the cluster's tls settings (its ca) or the server's certificate on ${endpoint(r)} (expired, another CA, a name the host is not); the server itself answered`
    : `fix the password (the cluster's password reference) or the grants (docs/config.md#grants) of replwatch's account on ${endpoint(r)}, or unlock it; the server itself answered`;

/** A server that answered and refused replwatch (`votes`: for a primary, what its replicas say of it). */
export function monitorRefused(cluster: string, r: ServerReading, votes?: Vote[]): Finding {
  const still = (votes ?? []).filter((v) => v.alive);
  return {
    code: 'MonitorRefused',
    severity: 'warning',
    cluster,
    target: r.target,
    summary: `${refusal(r)}${still.length > 0 ? `; ${still.map((v) => v.target).join(', ')} still replicate from it` : ''}`,
    action: fixAccount(r),
    details: { scope: 'monitor-path', error: r.error, probeMs: round(r.probeMs), ...(votes ? { replicas: votes } : {}) },
  };
}

export const replicaRefused: ReplicaRule = (c, r) => (r.reach === 'refused' ? [monitorRefused(c.input.cluster, r.reading)] : []);

/**
 * A cluster whose password reference resolves to nothing (unset variable, deleted secret, no
 * access to it) cannot be checked at all. The databases may be fine; the monitor is blind on this
 * cluster, which is worth a page (a warning, like a refused account), and it holds the cluster's
 * firing alerts rather than resolving what it cannot see.
 */
export function clusterUnchecked(cluster: string, primary: string, error: string): Finding {
  return {
    code: 'ClusterUnchecked',
    severity: 'warning',
    cluster,
    target: primary,
    summary: `cluster ${cluster} is not checked: its password cannot be read: ${error}`,
    action: `make the cluster's password reference readable by replwatch (set the variable, restore the parameter or secret, or grant replwatch's role access to it)`,
    details: { scope: 'monitor-config', error },
  };
}

export function overPrivileged(c: ClusterFacts): Finding[] {
  return [c.primary, ...c.input.replicas]
    .filter((r) => r.reachable && (r.grants?.excess.length ?? 0) > 0)
    .map((r) => ({
      code: 'MonitorOverPrivileged' as const,
      severity: 'info' as const,
      cluster: c.input.cluster,
      target: r.target,
      summary: `replwatch's account holds more than a monitor needs on ${r.target}: ${r.grants!.excess.join(', ')}`,
      action: 'grant only what docs/config.md#grants lists (REPLICATION CLIENT, SLAVE MONITOR, SELECT on the heartbeat table)',
      details: { excess: r.grants!.excess },
    }));
}
