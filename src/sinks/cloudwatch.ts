import { CloudWatchClient, PutMetricDataCommand, type MetricDatum } from '@aws-sdk/client-cloudwatch';
import type { Finding } from '../model/findings';
import type { Observation } from '../model/observations';

/** PutMetricData takes at most 1000 metrics per call. */
export const MAX_METRICS_PER_CALL = 1000;

export interface MetricsInput {
  observations: Observation[];
  findings: Finding[];
  /** Wall time of the sample, per cluster. */
  durationMs: Map<string, number>;
  timestamp: Date;
  /** 1 for sub-minute sampling, so alarms can act on each sample; 60 otherwise. */
  storageResolution: 1 | 60;
  check: string;
}

/**
 * Observations -> CloudWatch datums: per replica lag and a 0/1 health flag (0 when any warning
 * or critical finding names it), per primary reachability, per cluster the check's duration, and
 * one `ChecksCompleted` that the dead-man alarm watches.
 */
export function replicationMetrics(input: MetricsInput): MetricDatum[] {
  const base = { Timestamp: input.timestamp, StorageResolution: input.storageResolution };
  const troubled = new Set(input.findings.filter((f) => f.severity !== 'info').map((f) => `${f.cluster}/${f.target}`));
  const out: MetricDatum[] = [];
  for (const o of input.observations) {
    if (o.kind === 'mysql-replica') {
      const dims = [
        { Name: 'Cluster', Value: o.cluster },
        { Name: 'Replica', Value: o.target },
      ];
      if (o.lagSeconds !== null) out.push({ ...base, MetricName: 'ReplicaLagSeconds', Unit: 'Seconds', Value: o.lagSeconds, Dimensions: dims });
      out.push({ ...base, MetricName: 'ReplicationHealthy', Unit: 'Count', Value: troubled.has(`${o.cluster}/${o.target}`) ? 0 : 1, Dimensions: dims });
    } else if (o.kind === 'mysql-primary') {
      out.push({ ...base, MetricName: 'PrimaryReachable', Unit: 'Count', Value: o.reachable ? 1 : 0, Dimensions: [{ Name: 'Cluster', Value: o.cluster }] });
    }
  }
  for (const [cluster, ms] of input.durationMs) {
    out.push({ ...base, MetricName: 'CheckDurationMs', Unit: 'Milliseconds', Value: ms, Dimensions: [{ Name: 'Cluster', Value: cluster }] });
  }
  out.push({ ...base, MetricName: 'ChecksCompleted', Unit: 'Count', Value: 1, Dimensions: [{ Name: 'Check', Value: input.check }] });
  return out;
}

export interface PublishResult {
  sent: number;
  failed: number;
  errors: string[];
}

/**
 * Sends datums in batches of 1000, each call under a deadline. A failed batch is counted and
 * reported, never thrown: losing a metric must not lose the page that the same sample raised.
 */
export async function publishMetrics(client: CloudWatchClient, namespace: string, data: MetricDatum[], timeoutMs = 5000): Promise<PublishResult> {
  const result: PublishResult = { sent: 0, failed: 0, errors: [] };
  for (let i = 0; i < data.length; i += MAX_METRICS_PER_CALL) {
    const batch = data.slice(i, i + MAX_METRICS_PER_CALL);
    try {
      await client.send(new PutMetricDataCommand({ Namespace: namespace, MetricData: batch }), { abortSignal: AbortSignal.timeout(timeoutMs) });
      result.sent += batch.length;
    } catch (e) {
      result.failed += batch.length;
      result.errors.push((e as Error).message);
    }
  }
  return result;
}
