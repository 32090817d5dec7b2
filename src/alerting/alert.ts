import type { Finding, Severity } from '../model/findings';

export type AlertStatus = 'pending' | 'firing';
export type TransitionKind = 'firing' | 'repeat' | 'resolved';

/** One alert's life between samples; what the state store keeps. */
export interface AlertState {
  /** `code|cluster|target`: the identity of an incident, and the page thread. */
  key: string;
  status: AlertStatus;
  severity: Exclude<Severity, 'info'>;
  /** The latest evidence. */
  finding: Finding;
  firstSeenAt: string;
  firedAt?: string;
  lastPagedAt?: string;
  consecutiveFound: number;
  consecutiveClear: number;
  /** A page some sinks have not taken yet (see OwedPage); kind `resolved`: the alert is over. */
  undelivered?: OwedPage;
  /**
   * The sinks (by destination, sinks/pages.ts) that took a page saying it fires and not yet its
   * RESOLVED, whichever process sent it: a RESOLVED is owed to them, not to whoever resolves it.
   */
  toldSinks?: string[];
  /** Optimistic concurrency: bumped on every write, checked by conditional writes. */
  version: number;
}

/**
 * A page recorded before it is sent (so a crash cannot lose it) and kept while some sinks have not
 * taken it; a later sample sends it to them again. `kind` and `at` name the page: a retry sends
 * that very page, never a newer one under its name.
 */
export interface OwedPage {
  kind: TransitionKind;
  /** The sinks that have not taken it. */
  sinks: string[];
  at: string;
  escalated?: boolean;
  /**
   * Of `sinks`, those never told the alert fired (they missed its FIRING and every page since):
   * a RESOLVED would be news of an incident they never heard of, so they are not sent one.
   */
  unaware?: string[];
  /** A run is sending it until then: no other run may. */
  leaseUntil?: string;
}

/**
 * An alert paged as resolved whose RESOLVED some sinks have not taken: kept, not deleted, until
 * they have (a crash between the write and the send must not lose the resolve).
 */
export const resolving = (a: AlertState): boolean => a.undelivered?.kind === 'resolved';

/**
 * A change to one alert in the store, and the page it calls for. Writes are conditional on
 * `expectedVersion` (null: the alert must not exist yet), so when two overlapping runs compute
 * the same transition only one write lands, and only its run pages.
 */
export interface AlertWrite {
  key: string;
  /** The new state, or null to delete (resolved, or pending that cleared; a resolved one is kept until its RESOLVED is delivered). */
  alert: AlertState | null;
  expectedVersion: number | null;
  page?: TransitionKind;
  /** The alert as paged: the new state, or for `resolved` the last one. */
  paged?: AlertState;
  /** A firing alert that got worse (warning -> critical), paged again as firing. */
  escalated?: boolean;
}

export const alertKey = (f: Pick<Finding, 'code' | 'cluster' | 'target'>): string => `${f.code}|${f.cluster}|${f.target}`;
