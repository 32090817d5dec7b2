import { DEAD_PRIMARY_SYMPTOMS, REBUILD_CODES } from '../../model/codes';
import type { Finding } from '../../model/findings';
import type { MysqlPrimaryObservation, MysqlReplicaObservation } from '../../model/observations';
import { clusterFacts, reason, type ClusterFacts, type ClusterReadings } from './facts';
import { overPrivileged, replicaRefused } from './rules/monitor';
import { PRIMARY_RULES } from './rules/primary';
import {
  errantTransactions,
  lagging,
  rebuildCommand,
  lagUnknown,
  notReplicating,
  replicaUnreachable,
  replicaWritable,
  round,
  threadStates,
  wrongPrimary,
  type ReplicaRule,
} from './rules/replica';

/*
 * Readings of one cluster -> findings, in orchestrator's manner: look at the whole topology
 * (facts.ts) before naming a failure (rules/). Pure: everything it needs comes in as values.
 */

export type { ClusterReadings, PrimaryLost } from './facts';
export { clusterUnchecked } from './rules/monitor';
export { rebuildCommand, shortSqlError } from './rules/replica';

export interface ClusterAnalysis {
  observations: Array<MysqlPrimaryObservation | MysqlReplicaObservation>;
  findings: Finding[];
  /** This sample's lag per replica, for the caller's history. */
  lags: Map<string, number | null>;
}

const REPLICA_RULES: ReplicaRule[] = [
  replicaUnreachable,
  replicaRefused,
  notReplicating,
  wrongPrimary,
  replicaWritable,
  errantTransactions,
  threadStates,
  lagUnknown,
  lagging,
];

export function analyseCluster(input: ClusterReadings): ClusterAnalysis {
  const facts = clusterFacts(input);
  // The rebuild command goes with every finding the catalogue says a rebuild fixes (model/codes.ts), not rule by rule.
  const withRunbook = (f: Finding): Finding =>
    REBUILD_CODES.has(f.code) && !f.runbook ? { ...f, runbook: rebuildCommand(input.cluster, f.target, input.commands) } : f;
  const replicaFindings = facts.replicas.flatMap((r) => REPLICA_RULES.flatMap((rule) => rule(facts, r))).map(withRunbook);
  // What a dead primary explains is folded into its one finding when it is down, passed on otherwise.
  const symptoms = replicaFindings.filter((f) => DEAD_PRIMARY_SYMPTOMS.has(f.code));
  const primary = PRIMARY_RULES.reduce<Finding[] | undefined>((found, rule) => found ?? rule(facts, symptoms), undefined) ?? [];
  // Lag read while the primary is down is its outage, already folded into its finding: kept in a
  // replica's history, it would page the replica as lagging the moment the primary answers again.
  const primaryDown = primary.some((f) => f.code === 'PrimaryUnreachable');
  return {
    observations: observationsOf(facts),
    findings: [...replicaFindings.filter((f) => !DEAD_PRIMARY_SYMPTOMS.has(f.code)), ...primary, ...overPrivileged(facts)],
    lags: new Map(facts.replicas.map((r) => [r.reading.target, primaryDown ? null : r.lag.lagSeconds])),
  };
}

function observationsOf({ input, primary, replicas }: ClusterFacts): ClusterAnalysis['observations'] {
  const own = primary.heartbeat?.find((h) => h.serverId === primary.serverId);
  const error = (r: { error?: unknown } & Parameters<typeof reason>[0]) => (r.error ? { error: reason(r) } : {});
  return [
    {
      kind: 'mysql-primary',
      cluster: input.cluster,
      target: primary.target,
      reachable: primary.reachable,
      readOnly: primary.readOnly ?? null,
      heartbeatAgeSeconds: own?.ageSeconds ?? null,
      probeMs: round(primary.probeMs),
      ...error(primary),
    },
    ...replicas.map(({ reading: r, main, channels, lag }): MysqlReplicaObservation => {
      // An Aurora reader replicates through its storage: the threads it shows are not its own.
      const shown = input.aurora || !r.reachable ? undefined : (main ?? channels[0]);
      return {
        kind: 'mysql-replica',
        cluster: input.cluster,
        target: r.target,
        reachable: r.reachable,
        lagSeconds: lag.lagSeconds,
        lagSource: lag.lagSource,
        ioRunning: shown ? shown.ioRunning : null,
        sqlRunning: shown ? shown.sqlRunning : null,
        readOnly: r.readOnly ?? null,
        source: shown ? { host: shown.sourceHost, port: shown.sourcePort } : null,
        probeMs: round(r.probeMs),
        ...(r.reachable ? {} : error(r)),
      };
    }),
  ];
}
