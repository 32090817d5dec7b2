import { CODES_BY_CHECK, DEAD_PRIMARY_SYMPTOMS, type Finding, type FindingCode } from '../model/findings';
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
 * Codes that an unreachable or critically lossy endpoint explains on the service listening there:
 * the monitor cannot reach it, or reaches it slowly. Not a replica's IO errors or lag: those are
 * about the replica's own link to its source, which the monitor's probe does not travel.
 */
const ENDPOINT_SYMPTOMS = new Set<FindingCode>(['ReplicaUnreachable', 'PrimaryUnreachable', 'MemcacheUnreachable', 'MemcacheSlow']);

export interface Inhibition {
  key: string;
  by: string;
}

/**
 * Findings that are only symptoms of another finding, and would page twice for one incident: an
 * errant transaction explains the strict-mode break it causes on its replica; a cluster the
 * monitor cannot check (its password unreadable) holds everything else of that cluster; a dead
 * primary (critical PrimaryUnreachable) inhibits its replicas' IO errors and lag; an endpoint
 * (host:port) unreachable or losing critical packets inhibits the unreachability and slowness of
 * the service at that very endpoint, never of others on the same address. `endpointOf` names a
 * finding's endpoint (a MySQL target is a config name, not an address). Pure.
 */
export function inhibitions(findings: Finding[], endpointOf: (f: Finding) => string | undefined): Inhibition[] {
  const out: Inhibition[] = [];
  const deadPrimaries = findings.filter((f) => f.code === 'PrimaryUnreachable' && f.severity === 'critical');
  const unchecked = findings.filter((f) => f.details.scope === 'monitor-config');
  const badPaths = findings.filter((f) => f.code === 'HostUnreachable' || (f.code === 'PacketLoss' && f.severity === 'critical'));
  for (const f of findings) {
    const byErrant = errantCause(f, findings);
    if (byErrant) {
      out.push({ key: alertKey(f), by: alertKey(byErrant) });
      continue;
    }
    const byBlindness = unchecked.find((u) => u.cluster === f.cluster && CODES_BY_CHECK.replication.has(f.code) && u !== f);
    if (byBlindness) {
      out.push({ key: alertKey(f), by: alertKey(byBlindness) });
      continue;
    }
    const byPrimary = deadPrimaries.find((p) => p.cluster === f.cluster && DEAD_PRIMARY_SYMPTOMS.has(f.code) && p !== f);
    if (byPrimary) {
      out.push({ key: alertKey(f), by: alertKey(byPrimary) });
      continue;
    }
    if (!ENDPOINT_SYMPTOMS.has(f.code)) continue;
    const at = endpointOf(f);
    const byPath = at === undefined ? undefined : badPaths.find((h) => endpointOf(h) === at);
    if (byPath) out.push({ key: alertKey(f), by: alertKey(byPath) });
  }
  return out;
}
