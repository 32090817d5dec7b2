import type { RdsRebuildStepName } from './rds';
import type { RebuildCheckpoint } from './checkpoint';

/*
 * How a rebuild stops short of done, one class per way: the adapters (CLI, Lambda, auto-rebuild)
 * tell a person each one differently.
 */

/** Refused before anything was written: the target is unsafe, or the input or the state says no. */
export class RunbookRefusal extends Error {
  override name = 'RunbookRefusal';
}

/** This run no longer holds the cluster's lock: it stops at once, and leaves the replica to the holder. */
export class LeaseLost extends Error {
  override name = 'LeaseLost';
}

/** A rebuild that stopped at a table boundary when asked to; its checkpoint is saved. */
export class RebuildPaused extends Error {
  override name = 'RebuildPaused';
  constructor(
    readonly checkpoint: RebuildCheckpoint,
    why = `rebuild paused after ${checkpoint.tablesDone.length} table(s)`,
  ) {
    super(`${why}; continue with --resume`);
  }
}

/** A failed rebuild: the replica is left stopped and read_only; `step` says where it stopped. */
export class RebuildFailed extends Error {
  override name = 'RebuildFailed';
  /** What went wrong, in the server's or the step's own words. */
  readonly reason: string;
  /** Once the failure is recorded on the lock: the command that goes on from the checkpoint. */
  resume?: string;
  /**
   * Once paged: whether every sink took the page, what the others said, why it was held (a
   * silence), or, when none of these, why it was not paged (`already`: its alert was firing).
   */
  page?: { sent: boolean; errors: string[]; held?: string; already?: string };

  constructor(
    readonly step: string,
    cause: Error,
    left = 'the replica is left stopped and read_only',
  ) {
    super(`rebuild failed at "${step}": ${cause.message}; ${left}`);
    this.reason = cause.message;
  }
}

/** A wait ran out. Nothing needs undoing: the same rebuild run again resumes at `step`. */
export class RdsRebuildTimeout extends Error {
  override name = 'RdsRebuildTimeout';
  constructor(
    readonly step: RdsRebuildStepName,
    readonly instanceId: string,
    message: string,
  ) {
    super(message);
  }
}
