import { isSymptomOf, REACH_FAILURES, type CauseCode } from '../model/codes';
import type { Finding } from '../model/findings';
import { alertKey } from './alert';

/** MariaDB's ER_GTID_STRICT_OUT_OF_ORDER: a replica's SQL thread meets a GTID below its own. */
const STRICT_OUT_OF_ORDER = 1950;

const sameTarget = (a: Finding, b: Finding) => a.cluster === b.cluster && a.target === b.target;

/**
 * How far each cause reaches among the findings that the catalogue (model/codes.ts) calls its
 * symptoms, in the order they are asked: the first that holds a finding is its incident.
 * - a rebuild that died half-way holds what its replica shows (stopped, broken, behind, writable
 *   or not): that state is the unfinished rebuild's doing;
 * - in gtid_strict_mode an errant transaction breaks its replica as soon as the primary's next GTID
 *   in the same domain arrives (1950): one incident, whose fix (rebuild) is the errant transaction's;
 * - a cluster the monitor cannot check (its password unreadable) holds everything else of it;
 * - a dead primary (critical PrimaryUnreachable) holds its replicas' symptoms;
 * - a replica's IO error holds its own lag (no data arrives: of course it falls behind).
 */
const REACH: Array<[CauseCode, (cause: Finding, symptom: Finding) => boolean]> = [
  ['RebuildFailed', sameTarget],
  ['ErrantTransactions', (e, f) => sameTarget(e, f) && f.code === 'ReplicationBroken' && f.details.lastSqlErrno === STRICT_OUT_OF_ORDER],
  ['ClusterUnchecked', (u, f) => u.cluster === f.cluster],
  ['PrimaryUnreachable', (p, f) => p.cluster === f.cluster && p.severity === 'critical'],
  ['ReplicaIoError', sameTarget],
];

/** The network check's word on an endpoint: every handshake lost, or critically many. */
const pathFailing = (f: Finding) => f.code === 'HostUnreachable' || (f.code === 'PacketLoss' && f.severity === 'critical');

export interface Inhibition {
  key: string;
  by: string;
}

/**
 * Findings that are only symptoms of another finding, and would page twice for one incident
 * (pure; `endpointOf` names a finding's `host:port`, since a MySQL target is a config name): the
 * causes of REACH, then, at one endpoint, the network check's failing path and replwatch's failure
 * to reach the service there (REACH_FAILURES) are one incident. The service's finding says more
 * (what it answered, what its replicas saw) and pages when it is critical; a frozen server fills
 * its listen queue and then drops SYNs, so a path that looks black can be its symptom. A warning
 * (slow, or the monitor's own path) is the failing path's symptom. Whichever of the two is already
 * firing (`firing`) stays the page. Never across endpoints: one port's probe proves nothing of
 * another on the same address.
 */
export function inhibitions(findings: Finding[], endpointOf: (f: Finding) => string | undefined, firing: ReadonlySet<string> = new Set()): Inhibition[] {
  const out: Inhibition[] = [];
  const hold = (f: Finding, by: Finding) => out.push({ key: alertKey(f), by: alertKey(by) });
  const sameEndpoint = (a: Finding, b: Finding) => a !== b && endpointOf(a) !== undefined && endpointOf(a) === endpointOf(b);
  // The pair at one endpoint: a path that failed first, or a service only warned of, is held by
  // the other; otherwise the service's critical finding holds the path's.
  const pageFirst = (a: Finding, b: Finding) => firing.has(alertKey(a)) && !firing.has(alertKey(b));
  for (const f of findings) {
    const cause = REACH.flatMap(([code, reaches]) => (isSymptomOf(f.code, code) ? findings.filter((c) => c.code === code && c !== f && reaches(c, f)) : []))[0];
    if (cause) {
      hold(f, cause);
    } else if (REACH_FAILURES.has(f.code)) {
      const path = findings.find((p) => pathFailing(p) && sameEndpoint(p, f));
      if (path && (f.severity !== 'critical' || pageFirst(path, f))) hold(f, path);
    } else if (pathFailing(f)) {
      const service = findings.find((s) => REACH_FAILURES.has(s.code) && s.severity === 'critical' && sameEndpoint(s, f));
      if (service && !pageFirst(f, service)) hold(f, service);
    }
  }
  return out;
}
