import { SERVER_REPLICATION_CODES, type Finding, type FindingCode } from '../model/findings';
import { alertKey } from './alert';

/** Codes that a dead primary explains on its replicas. */
const PRIMARY_SYMPTOMS = new Set<FindingCode>(['ReplicaIoError', 'ReplicaLagging', 'HeartbeatStale']);
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

/** Codes that an unreachable or lossy host explains on the services it runs. */
const HOST_SYMPTOMS = new Set<FindingCode>(['ReplicaUnreachable', 'PrimaryUnreachable', 'ReplicaIoError', 'ReplicaLagging', 'MemcacheUnreachable', 'MemcacheSlow']);

export interface Inhibition {
  key: string;
  by: string;
}

/**
 * Findings that are only symptoms of another finding, and would page twice for one incident: an
 * errant transaction explains the strict-mode break it causes on its replica; a cluster the
 * monitor cannot check (its password unreadable) holds everything else of that cluster; a dead
 * primary (critical PrimaryUnreachable) inhibits its replicas' IO errors and lag; a host
 * unreachable or losing critical packets inhibits the unreachability and slowness of what runs on
 * it; a rebuild that died half-way (RebuildFailed) holds what its replica shows (stopped, broken,
 * behind, writable or not): that state is the unfinished rebuild's doing, one incident.
 * `hostOf` names a finding's host (a MySQL target is a config name, not an address). Pure.
 */
export function inhibitions(findings: Finding[], hostOf: (f: Finding) => string | undefined): Inhibition[] {
  const out: Inhibition[] = [];
  const deadPrimaries = findings.filter((f) => f.code === 'PrimaryUnreachable' && f.severity === 'critical');
  const unchecked = findings.filter((f) => f.details.scope === 'monitor-config');
  const badHosts = findings.filter((f) => f.code === 'HostUnreachable' || (f.code === 'PacketLoss' && f.severity === 'critical'));
  const deadRebuilds = findings.filter((f) => f.code === 'RebuildFailed');
  for (const f of findings) {
    const byRebuild = deadRebuilds.find((r) => r.cluster === f.cluster && r.target === f.target && SERVER_REPLICATION_CODES.has(f.code));
    if (byRebuild) {
      out.push({ key: alertKey(f), by: alertKey(byRebuild) });
      continue;
    }
    const byErrant = errantCause(f, findings);
    if (byErrant) {
      out.push({ key: alertKey(f), by: alertKey(byErrant) });
      continue;
    }
    const byBlindness = unchecked.find((u) => u.cluster === f.cluster && SERVER_REPLICATION_CODES.has(f.code) && u !== f);
    if (byBlindness) {
      out.push({ key: alertKey(f), by: alertKey(byBlindness) });
      continue;
    }
    const byPrimary = deadPrimaries.find((p) => p.cluster === f.cluster && PRIMARY_SYMPTOMS.has(f.code) && p !== f);
    if (byPrimary) {
      out.push({ key: alertKey(f), by: alertKey(byPrimary) });
      continue;
    }
    if (!HOST_SYMPTOMS.has(f.code)) continue;
    const host = hostOf(f);
    const byHost = host === undefined ? undefined : badHosts.find((h) => hostOf(h) === host);
    if (byHost) out.push({ key: alertKey(f), by: alertKey(byHost) });
  }
  return out;
}
