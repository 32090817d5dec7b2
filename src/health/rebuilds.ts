import { type Silence, silenceMatches } from '../alerting/silence';
import type { CommandStyle } from '../model/commands';
import type { Finding } from '../model/findings';
import { parseCheckpoint, progressText } from '../runbooks/checkpoint';
import { passwordNote, resumeCommand } from '../runbooks/target';
import { lapsed, type Lock } from '../state/store';

/** A cluster's rebuild lock: one rebuild at a time per cluster. */
export const REBUILD_LOCK_PREFIX = 'rebuild/';
export const rebuildLockName = (cluster: string): string => `${REBUILD_LOCK_PREFIX}${cluster}`;
/** The silence a rebuild holds over its replica's findings while it runs (and a sample's worth after). */
export const rebuildSilenceId = (cluster: string, replica: string): string => `${REBUILD_LOCK_PREFIX}${cluster}/${replica}`;

/**
 * What a replica shows while a rebuild runs on it (stopped, behind) is that rebuild's work: its
 * findings' advice (START SLAVE, a rebuild command) would fight it. A one-shot `check` still
 * reports them, with the advice to leave it be and the rebuild's silence in `details.heldBy`.
 */
export function heldByRebuild(findings: Finding[], silences: Silence[], now: Date): Finding[] {
  return findings.map((f) => {
    const s = silences.find((x) => x.id === rebuildSilenceId(f.cluster, f.target) && silenceMatches(x, f, now));
    if (!s) return f;
    const { runbook: _fights, ...rest } = f;
    return {
      ...rest,
      action: `leave it be: ${s.reason} (held until ${s.to})`,
      details: { ...f.details, heldBy: { silence: s.id, until: s.to, reason: s.reason } },
    };
  });
}

/**
 * Rebuilds that stopped unfinished: a rebuild lock whose lease lapsed (its run failed, was killed
 * or crashed, or its Lambda hand-over never started) and whose checkpoint names a replica. That
 * replica is half-rebuilt and out of service until the rebuild is resumed or started over: one
 * critical RebuildFailed on it, with the exact command that resumes it. Pure: `locks` as the
 * state store lists them, `style` for the printed command (model/commands.ts).
 */
export function rebuildFindings(locks: Array<{ name: string; lock: Lock }>, now: Date, style?: CommandStyle): Finding[] {
  return locks.flatMap(({ name, lock }) => {
    const cp = parseCheckpoint(lock.checkpoint);
    if (!name.startsWith(REBUILD_LOCK_PREFIX) || !cp) return [];
    const live = !lapsed(lock, now);
    // A live run is no incident, unless it continues a dead one: that one's is open until it ends.
    if (live && !cp.continues) return [];
    const cluster = name.slice(REBUILD_LOCK_PREFIX.length);
    const copied = progressText(cp);
    // A record written by hand or half-damaged may lack these; the page still reads as a sentence.
    const owner = lock.owner || 'a run that left no name';
    const renewed = lock.renewedAt ?? lock.startedAt ?? 'an unknown time';
    const summary = live
      ? `rebuild of ${cp.replica} is being continued by ${owner} (lease renewed at ${renewed}), after ${cp.continues} stopped unfinished; ${copied}; the replica is out of service until it finishes`
      : cp.failure
        ? `rebuild of ${cp.replica} failed at "${cp.failure.step}" at ${cp.failure.at}: ${cp.failure.message}; ${copied}; ${cp.strategy === 'rds' ? 'the old replica serves until the new one takes its name' : 'the replica is left stopped and read_only'}`
        : `rebuild of ${cp.replica} stopped unfinished at "${cp.step ?? 'start'}": its run (${owner}) last renewed its lease at ${renewed} and was killed or crashed; ${copied}; the replica is left out of service`;
    const finding: Finding = {
      code: 'RebuildFailed',
      severity: 'critical',
      cluster,
      target: cp.replica,
      summary: `${summary}${passwordNote(cp.flags ?? '')}`,
      runbook: resumeCommand(cluster, cp.replica, style, cp.strategy, cp.flags),
      details: {
        step: cp.failure?.step ?? cp.step ?? null,
        tablesDone: cp.tablesDone.length,
        owner: lock.owner ?? null,
        startedAt: lock.startedAt ?? null,
        renewedAt: lock.renewedAt ?? null,
        leaseEndedAt: lock.expiresAt ?? null,
        ...(cp.failure ? { failure: cp.failure.message } : {}),
      },
    };
    return [finding];
  });
}
