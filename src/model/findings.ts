import type { FindingCode } from './codes';

export type { FindingCode } from './codes';

/** `info` never pages and never changes the exit code; it is advice for whoever reads the table. */
export type Severity = 'critical' | 'warning' | 'info';

interface FindingFields {
  severity: Severity;
  cluster: string;
  target: string;
  summary: string;
  /** The rebuild command, for findings a rebuild fixes. */
  runbook?: string;
  /** The exact next step for findings a rebuild does not fix (a statement to run, a host to check). */
  action?: string;
}

/**
 * The details that decision code reads (inhibition, the pager), typed by code, so the rule that
 * writes them and the code that reads them agree; the rest of every finding's details is evidence
 * for people and for `--json`, free-form.
 */
export interface DecidingDetails {
  /** The SQL thread's error: 1950 (gtid_strict_mode out of order) is an errant transaction's symptom. */
  ReplicationBroken: { lastSqlErrno?: number | null; lastSqlError?: string | null };
  /** `undecided`: the replicas cannot tell yet whether it is down or the monitor's path is: not paged until they can. */
  PrimaryUnreachable: { verdict?: 'undecided' };
}

type DetailsOf<C extends FindingCode> = (C extends keyof DecidingDetails ? DecidingDetails[C] : unknown) & Record<string, unknown>;

/** A finding, its `details` typed by its code (DecidingDetails). */
export type Finding = { [C in FindingCode]: FindingFields & { code: C; details: DetailsOf<C> } }[FindingCode];

export const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

/**
 * A finding whose verdict waits for more evidence (a primary that replicas have not yet said is
 * alive or dead): shown, and counted by `check`, but neither paged nor resolved until decided.
 */
export const isProvisional = (f: Pick<Finding, 'code' | 'details'>): boolean => f.code === 'PrimaryUnreachable' && f.details.verdict === 'undecided';
