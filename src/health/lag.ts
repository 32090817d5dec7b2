import type { HeartbeatRow, LagSource, ReplicationChannel } from '../model/observations';
import type { Severity } from '../model/findings';

export interface LagThresholds {
  warningSeconds: number;
  criticalSeconds: number;
  sustainedSamples: number;
}

export interface LagFigure {
  lagSeconds: number | null;
  lagSource: LagSource | null;
}

function ageOf(rows: HeartbeatRow[] | undefined, serverId: number | null | undefined): number | null {
  if (!rows || serverId == null) return null;
  return rows.find((r) => r.serverId === serverId)?.ageSeconds ?? null;
}

/**
 * Lag of one replica. With a heartbeat: how much older the replica's copy of the primary's row
 * is than the primary's own row (so a writer that runs every N seconds, or stalls, adds no false
 * lag); the replica's row age alone when the primary cannot be read. Without one:
 * Seconds_Behind_*, which is null whenever a thread is stopped; the thread rules decide then.
 */
export function replicaLag(input: {
  channel: ReplicationChannel;
  primaryServerId: number | null;
  replicaHeartbeat: HeartbeatRow[] | undefined;
  primaryHeartbeat: HeartbeatRow[] | undefined;
}): LagFigure {
  const serverId = input.primaryServerId ?? input.channel.sourceServerId;
  const replicaAge = ageOf(input.replicaHeartbeat, serverId);
  if (replicaAge !== null) {
    const primaryAge = ageOf(input.primaryHeartbeat, serverId);
    const lag = primaryAge === null ? replicaAge : replicaAge - primaryAge;
    return { lagSeconds: Math.max(0, Math.round(lag * 1000) / 1000), lagSource: 'heartbeat' };
  }
  if (input.channel.secondsBehind === null) return { lagSeconds: null, lagSource: null };
  return { lagSeconds: input.channel.secondsBehind, lagSource: 'seconds_behind' };
}

/**
 * The severity that held for the whole window of `sustainedSamples` samples (the newest last),
 * or null. A warning followed by one critical sample is still a warning: a single spike
 * neither pages nor escalates.
 */
export function sustainedLagSeverity(samples: Array<number | null>, t: LagThresholds): Exclude<Severity, 'info'> | null {
  if (samples.length < t.sustainedSamples) return null;
  const window = samples.slice(-t.sustainedSamples);
  if (window.some((s) => s === null)) return null;
  const values = window as number[];
  if (values.every((s) => s >= t.criticalSeconds)) return 'critical';
  if (values.every((s) => s >= t.warningSeconds)) return 'warning';
  return null;
}

export function overThreshold(lag: number | null, t: LagThresholds): boolean {
  return lag !== null && lag >= t.warningSeconds;
}
