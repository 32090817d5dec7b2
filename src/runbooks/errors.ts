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

/**
 * How a rebuild that did not finish is told, the same by the CLI (one line each, and an exit
 * code) and the Lambda (its result and log): `refused` before anything was written, `stopped` (it
 * lost its lock, or paused to hand over), or `failed` (left stopped and resumable), with the
 * command that continues it and what became of its page. Anything else is not a rebuild's stop.
 */
export interface Unfinished {
  outcome: 'refused' | 'stopped' | 'paused' | 'failed';
  message: string;
  resume?: string;
  /** What became of the failure page: sent, not paged (held, already firing, no sink), or refused by a sink. */
  paging?: { text: string; state: 'sent' | 'not paged' | 'refused' };
}

export function unfinished(e: unknown, replica: string): Unfinished | undefined {
  if (e instanceof RunbookRefusal) return { outcome: 'refused', message: `refused: ${e.message}` };
  if (e instanceof LeaseLost)
    return { outcome: 'stopped', message: `stopped at once: ${e.message}; ${replica} was left as it is, without cleanup: it is that run's now` };
  if (e instanceof RebuildPaused) return { outcome: 'paused', message: e.message };
  if (!(e instanceof RebuildFailed)) return undefined;
  const p = e.page;
  const paging = !p
    ? undefined
    : p.sent
      ? { text: 'paged the failure', state: 'sent' as const }
      : p.held
        ? { text: `the failure was not paged: ${p.held}`, state: 'not paged' as const }
        : p.already
          ? { text: `the failure was not paged: ${p.already}`, state: 'not paged' as const }
          : p.errors.length
            ? { text: `the failure page was not delivered: ${p.errors.join('; ')}`, state: 'refused' as const }
            : { text: 'the failure was not paged: no sink is configured to take it', state: 'not paged' as const };
  return { outcome: 'failed', message: e.message, ...(e.resume ? { resume: e.resume } : {}), ...(paging ? { paging } : {}) };
}
