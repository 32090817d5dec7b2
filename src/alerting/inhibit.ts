import { DEAD_PRIMARY_SYMPTOMS, SERVER_REPLICATION_CODES, type Finding, type FindingCode } from '../model/findings';
import { alertKey } from './alert';

/** MariaDB's ER_GTID_STRICT_OUT_OF_ORDER: a replica's SQL thread meets a GTID below its own. */
const STRICT_OUT_OF_ORDER = 1950;

/**
 * In gtid_strict_mode an errant transaction breaks the replica as soon as the primary's next
 * GTID in the same domain arrives (1950): one incident, whose cause and fix (rebuild) is the
 * errant transaction.
 */
function errantCause(f: Finding, findings: Finding[]): Finding | undefined {
  if (f.code !== 'ReplicationBroken' || f.details.lastSqlErrno !== STRICT_OUT_OF_ORDER) return undefined;
  return findings.find((e) => e.code === 'ErrantTransactions' && e.cluster === f.cluster && e.target === f.target);
}

/**
 * What replwatch's own probe of a service says when it cannot reach it, or reaches it slowly. Not a
 * replica's IO errors or lag: those are about the replica's own link to its source, which the
 * monitor's probe does not travel.
 */
const SERVICE_REACH = new Set<FindingCode>(['ReplicaUnreachable', 'PrimaryUnreachable', 'MemcacheUnreachable', 'MemcacheSlow']);

/** The network check's word on an endpoint: every handshake lost, or critically many. */
const pathFailing = (f: Finding) => f.code === 'HostUnreachable' || (f.code === 'PacketLoss' && f.severity === 'critical');

export interface Inhibition {
  key: string;
  by: string;
}

/**
 * Findings that are only symptoms of another finding, and would page twice for one incident
 * (pure; `endpointOf` names a finding's `host:port`, since a MySQL target is a config name):
 * - an errant transaction explains the strict-mode break it causes on its replica;
 * - a cluster the monitor cannot check (its password unreadable) holds everything else of it;
 * - a dead primary (critical PrimaryUnreachable) holds its replicas' DEAD_PRIMARY_SYMPTOMS;
 * - a replica's IO error holds its own lag (no data arrives: of course it falls behind);
 * - a rebuild that died half-way (RebuildFailed) holds what its replica shows (stopped, broken,
 *   behind, writable or not): that state is the unfinished rebuild's doing, one incident;
 * - at one endpoint, the network check's failing path and replwatch's failure to reach the service
 *   there are one incident. The service's finding says more (what it answered, what its replicas
 *   saw) and pages when it is critical; a frozen server fills its listen queue and then drops
 *   SYNs, so a path that looks black can be its symptom. A warning (slow, or the monitor's own path)
 *   is the failing path's symptom. Whichever of the two is already firing (`firing`) stays the
 *   page. Never across endpoints: one port's probe proves nothing of another on the same address.
 */
export function inhibitions(findings: Finding[], endpointOf: (f: Finding) => string | undefined, firing: ReadonlySet<string> = new Set()): Inhibition[] {
  const out: Inhibition[] = [];
  const hold = (f: Finding, by: Finding) => out.push({ key: alertKey(f), by: alertKey(by) });
  const deadPrimaries = findings.filter((f) => f.code === 'PrimaryUnreachable' && f.severity === 'critical');
  const unchecked = findings.filter((f) => f.details.scope === 'monitor-config');
  const at = (f: Finding) => endpointOf(f);
  const sameEndpoint = (a: Finding, b: Finding) => a !== b && at(a) !== undefined && at(a) === at(b);
  const deadRebuilds = findings.filter((f) => f.code === 'RebuildFailed');
  for (const f of findings) {
    const byRebuild = deadRebuilds.find((r) => r.cluster === f.cluster && r.target === f.target && SERVER_REPLICATION_CODES.has(f.code));
    if (byRebuild) {
      hold(f, byRebuild);
      continue;
    }
    const byErrant = errantCause(f, findings);
    if (byErrant) {
      hold(f, byErrant);
      continue;
    }
    const byBlindness = unchecked.find((u) => u.cluster === f.cluster && SERVER_REPLICATION_CODES.has(f.code) && u !== f);
    if (byBlindness) {
      hold(f, byBlindness);
      continue;
    }
    const byPrimary = deadPrimaries.find((p) => p.cluster === f.cluster && DEAD_PRIMARY_SYMPTOMS.has(f.code) && p !== f);
    if (byPrimary) {
      hold(f, byPrimary);
      continue;
    }
    const byIo = f.code === 'ReplicaLagging' ? findings.find((io) => io.code === 'ReplicaIoError' && io.cluster === f.cluster && io.target === f.target) : undefined;
    if (byIo) {
      hold(f, byIo);
      continue;
    }
    // The pair at one endpoint: a path that failed first, or a service only warned of, is held by
    // the other; otherwise the service's critical finding holds the path's.
    const pageFirst = (a: Finding, b: Finding) => firing.has(alertKey(a)) && !firing.has(alertKey(b));
    if (SERVICE_REACH.has(f.code)) {
      const path = findings.find((p) => pathFailing(p) && sameEndpoint(p, f));
      if (path && (f.severity !== 'critical' || pageFirst(path, f))) hold(f, path);
    } else if (pathFailing(f)) {
      const service = findings.find((s) => SERVICE_REACH.has(s.code) && s.severity === 'critical' && sameEndpoint(s, f));
      if (service && !pageFirst(f, service)) hold(f, service);
    }
  }
  return out;
}
