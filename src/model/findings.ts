import type { FindingCode } from './codes';

export type { FindingCode } from './codes';

/** `info` never pages and never changes the exit code; it is advice for whoever reads the table. */
export type Severity = 'critical' | 'warning' | 'info';

export interface Finding {
  code: FindingCode;
  severity: Severity;
  cluster: string;
  target: string;
  summary: string;
  /** The rebuild command, for findings a rebuild fixes. */
  runbook?: string;
  /** The exact next step for findings a rebuild does not fix (a statement to run, a host to check). */
  action?: string;
  details: Record<string, unknown>;
}

export const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

/**
 * A finding whose verdict waits for more evidence (a primary that replicas have not yet said is
 * alive or dead): shown, and counted by `check`, but neither paged nor resolved until decided.
 */
export const isProvisional = (f: Pick<Finding, 'details'>): boolean => f.details.verdict === 'undecided';
