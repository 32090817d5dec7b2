import { type CloudWatchClient, PutMetricDataCommand, type MetricDatum } from '@aws-sdk/client-cloudwatch';
import type { Finding } from '../model/findings';
import type { Observation } from '../model/observations';

/** PutMetricData takes at most 1000 metrics per call. */
export const MAX_METRICS_PER_CALL = 1000;

export type CheckName = 'replication' | 'memcache' | 'network';

export interface MetricsInput {
  observations: Observation[];
  findings: Finding[];
  /** Wall time of the whole sample. */
  durationMs: number;
  timestamp: Date;
  /** 1 for sub-minute sampling, so alarms can act on each sample; 60 otherwise. */
  storageResolution: 1 | 60;
  check: CheckName;
  /** Pages this sample sent and failed to send, when it paged. */
  pages?: { sent: number; failed: number };
}

const dims = (pairs: Record<string, string>) => Object.entries(pairs).map(([Name, Value]) => ({ Name, Value }));

/**
 * Observations -> CloudWatch datums. Replication: lag and a 0/1 health flag per replica (0 when
 * any warning or critical finding names it), reachability per primary. Memcache: reachability and
 * round trip per node. Network: loss and RTT per target (replwatch's own probes only; AWS
 * publishes Network Monitor's). Every check: its duration, the pages it sent and failed to send,
 * and the `ChecksCompleted` count that the dead-man alarm watches.
 */
export function checkMetrics(input: MetricsInput): MetricDatum[] {
  const base = { Timestamp: input.timestamp, StorageResolution: input.storageResolution };
  const troubled = new Set(input.findings.filter((f) => f.severity !== 'info').map((f) => `${f.cluster}/${f.target}`));
  const out: MetricDatum[] = [];
  const put = (MetricName: string, Unit: MetricDatum['Unit'], Value: number, d: Record<string, string>) =>
    out.push({ ...base, MetricName, Unit, Value, Dimensions: dims(d) });
  for (const o of input.observations) {
    switch (o.kind) {
      case 'mysql-replica': {
        const d = { Cluster: o.cluster, Replica: o.target };
        if (o.lagSeconds !== null) put('ReplicaLagSeconds', 'Seconds', o.lagSeconds, d);
        put('ReplicationHealthy', 'Count', troubled.has(`${o.cluster}/${o.target}`) ? 0 : 1, d);
        break;
      }
      case 'mysql-primary':
        put('PrimaryReachable', 'Count', o.reachable ? 1 : 0, { Cluster: o.cluster });
        break;
      case 'memcache': {
        const d = { Pool: o.pool, Node: o.target };
        put('MemcacheReachable', 'Count', o.reachable ? 1 : 0, d);
        if (o.roundTripMs !== null) put('MemcacheRoundTripMs', 'Milliseconds', o.roundTripMs, d);
        break;
      }
      case 'network': {
        if (o.source !== 'tcp' || o.lossPercent === null) break;
        const d = { Group: o.group, Target: o.target };
        put('NetworkLossPercent', 'Percent', o.lossPercent, d);
        if (o.rttMs.p50 !== null) put('NetworkRttP50Ms', 'Milliseconds', o.rttMs.p50, d);
        if (o.rttMs.p95 !== null) put('NetworkRttP95Ms', 'Milliseconds', o.rttMs.p95, d);
        break;
      }
    }
  }
  put('CheckDurationMs', 'Milliseconds', input.durationMs, { Check: input.check });
  if (input.pages) {
    put('PagesSent', 'Count', input.pages.sent, { Check: input.check });
    put('PagesFailed', 'Count', input.pages.failed, { Check: input.check });
  }
  put('ChecksCompleted', 'Count', 1, { Check: input.check });
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
