import { clusterServers, type Config } from '../config/schema';
import { SEVERITY_RANK, type Finding } from '../model/findings';
import type { Observation } from '../model/observations';

/** The JSON contract of `replwatch check --json`. */
export interface CheckReport {
  checkedAt: string;
  findings: Finding[];
  observations: Observation[];
}

export const EXIT = { ok: 0, warning: 1, critical: 2, unknown: 3 } as const;

/** Nagios plugin semantics: the worst finding decides; `info` never does. */
export function exitCodeFor(findings: Finding[]): number {
  if (findings.some((f) => f.severity === 'critical')) return EXIT.critical;
  if (findings.some((f) => f.severity === 'warning')) return EXIT.warning;
  return EXIT.ok;
}

/** Worst first, then by place; keys in the contract's order so diffs of two runs read well. */
export function sortFindings(findings: Finding[]): Finding[] {
  return [...findings]
    .map(({ code, severity, cluster, target, summary, runbook, action, details }) => ({
      code,
      severity,
      cluster,
      target,
      summary,
      ...(runbook ? { runbook } : {}),
      ...(action ? { action } : {}),
      details,
    }))
    .sort(
      (a, b) =>
        SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
        a.cluster.localeCompare(b.cluster) ||
        a.target.localeCompare(b.target) ||
        a.code.localeCompare(b.code),
    );
}

/**
 * The clusters the monitor saw nothing of: every server answered and refused it (its account, its
 * TLS settings), so each has a MonitorRefused warning and none was checked. A warning would say
 * "a small problem"; for a one-shot `check` it means it could not run on that cluster (exit 3).
 */
export function blindClusters(config: Pick<Config, 'clusters'>, findings: Finding[]): Array<{ cluster: string; why: string }> {
  return config.clusters.flatMap((c) => {
    const blind = clusterServers(c).map((s) => findings.find((f) => f.cluster === c.name && f.target === s.name && f.code === 'MonitorRefused'));
    if (blind.some((f) => f === undefined)) return [];
    return [{ cluster: c.name, why: blind[0]!.summary }];
  });
}
