import { GetMetricDataCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';

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
 * (namespace AWS/NetworkMonitor, dimensions Monitor and Probe), in one GetMetricData call.
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
      Id: `${metric === 'PacketLoss' ? 'loss' : 'rtt'}${i}`,
      MetricStat: {
        Metric: { Namespace: 'AWS/NetworkMonitor', MetricName: metric, Dimensions: [{ Name: 'Monitor', Value: monitorName }, { Name: 'Probe', Value: probeId }] },
        Period: 60,
        Stat: 'Average',
      },
      ReturnData: true,
    })),
  );
  const out = await client.send(
    new GetMetricDataCommand({ StartTime: new Date(now.getTime() - 5 * 60_000), EndTime: now, MetricDataQueries: queries, ScanBy: 'TimestampDescending' }),
    { abortSignal: AbortSignal.timeout(timeoutMs) },
  );
  const latest = (id: string) => out.MetricDataResults?.find((r) => r.Id === id)?.Values?.[0] ?? null;
  return entries.map(([target, probeId], i) => {
    const rtt = latest(`rtt${i}`);
    return { target, probeId, lossPercent: latest(`loss${i}`), rttMs: rtt === null ? null : rtt / 1000 };
  });
}
