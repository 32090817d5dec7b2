import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { latestDatapoints } from './latest';

export interface NetworkMonitorFigures {
  target: string;
  probeId: string;
  /** Percent, the latest datapoint; null when AWS has none for the window. */
  lossPercent: number | null;
  /** Milliseconds (AWS publishes RTT in microseconds). */
  rttMs: number | null;
}

/**
 * The latest PacketLoss and RTT of CloudWatch Network Synthetic Monitor probes
 * (namespace AWS/NetworkMonitor, dimensions Monitor and Probe).
 */
export async function readNetworkMonitor(
  client: CloudWatchClient,
  monitorName: string,
  probes: Record<string, string>,
  now: Date,
  timeoutMs = 5000,
): Promise<NetworkMonitorFigures[]> {
  const entries = Object.entries(probes);
  const queries = entries.flatMap(([, probeId], i) =>
    (['PacketLoss', 'RTT'] as const).map((metric) => ({
      id: `${metric === 'PacketLoss' ? 'loss' : 'rtt'}${i}`,
      namespace: 'AWS/NetworkMonitor',
      metric,
      dimensions: { Monitor: monitorName, Probe: probeId },
      stat: 'Average' as const,
    })),
  );
  const latest = await latestDatapoints(client, queries, now, timeoutMs);
  const value = (id: string) => {
    const d = latest.get(id);
    return d && 'value' in d ? d.value : null;
  };
  return entries.map(([target, probeId], i) => {
    const rtt = value(`rtt${i}`);
    return { target, probeId, lossPercent: value(`loss${i}`), rttMs: rtt === null ? null : rtt / 1000 };
  });
}
