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

/** The heartbeat row a server wrote, among those read somewhere. */
export function rowOf(rows: HeartbeatRow[] | undefined, serverId: number | null | undefined): HeartbeatRow | undefined {
  return serverId == null ? undefined : rows?.find((r) => r.serverId === serverId);
}

/**
 * Lag of one replica. With a heartbeat: how far the replica's copy of the primary's row trails
 * the primary's own row, less the time between the two reads (the primary goes on writing while
 * the monitor waits for other servers: that wait is not the replica's lag). Both ts were written
 * by the primary's clock and the interval is the monitor's monotonic one, so no server clock
 * enters the figure, and a writer that runs every N seconds, or stalls, adds no false lag. When
 * the primary cannot be read: the copy's age by the replica's clock, the only figure left.
 * Without a heartbeat: Seconds_Behind_*, which is null whenever a thread is stopped; the thread
 * rules decide then.
 */
export function replicaLag(input: {
  /** None for an Aurora reader: the heartbeat is its only figure here. */
  channel?: ReplicationChannel;
  primaryServerId: number | null;
  replicaHeartbeat: HeartbeatRow[] | undefined;
  primaryHeartbeat: HeartbeatRow[] | undefined;
  /** When each side's rows were read (ServerReading.heartbeatReadAt); without them, at once. */
  replicaReadAt?: number;
  primaryReadAt?: number;
}): LagFigure {
  const serverId = input.primaryServerId ?? input.channel?.sourceServerId ?? null;
  const copy = rowOf(input.replicaHeartbeat, serverId);
  if (copy) {
    const own = rowOf(input.primaryHeartbeat, serverId);
    const between = input.replicaReadAt !== undefined && input.primaryReadAt !== undefined ? (input.primaryReadAt - input.replicaReadAt) / 1000 : 0;
    const lag = own ? own.writtenAt - copy.writtenAt - between : copy.ageSeconds;
    return { lagSeconds: Math.max(0, Math.round(lag * 1000) / 1000), lagSource: 'heartbeat' };
  }
  if (!input.channel || input.channel.secondsBehind === null) return { lagSeconds: null, lagSource: null };
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
