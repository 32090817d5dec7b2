import { GetMetricDataCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';

/** One AWS-published metric of one resource. */
export interface MetricQuery {
  id: string;
  namespace: string;
  metric: string;
  dimensions: Record<string, string>;
  stat: 'Average' | 'Maximum';
}

export interface Datapoint {
  value: number;
  at: Date;
  /** The window's older datapoints' values, oldest first. */
  earlier: number[];
}

/** A query CloudWatch answered with an error of its own (StatusCode Forbidden or InternalError). */
export interface Refused {
  refused: string;
}

/** CloudWatch takes at most 500 queries in one GetMetricData call. */
const QUERIES_PER_CALL = 500;

/**
 * The newest one-minute datapoint of each query within the last five minutes, with the older
 * ones of the window (AWS publishes these metrics once a minute, and a datapoint can arrive a
 * minute or two late), or null for a query with none, or why CloudWatch refused the query.
 * Every call has its deadline: a CloudWatch that hangs is an error, not a hang.
 */
export async function latestDatapoints(
  client: CloudWatchClient,
  queries: MetricQuery[],
  now: Date,
  timeoutMs = 5000,
): Promise<Map<string, Datapoint | Refused | null>> {
  const out = new Map<string, Datapoint | Refused | null>(queries.map((q) => [q.id, null]));
  for (let i = 0; i < queries.length; i += QUERIES_PER_CALL) {
    let token: string | undefined;
    do {
      const page = await client.send(
        new GetMetricDataCommand({
          StartTime: new Date(now.getTime() - 5 * 60_000),
          EndTime: now,
          ScanBy: 'TimestampDescending',
          NextToken: token,
          MetricDataQueries: queries.slice(i, i + QUERIES_PER_CALL).map((q) => ({
            Id: q.id,
            MetricStat: {
              Metric: { Namespace: q.namespace, MetricName: q.metric, Dimensions: Object.entries(q.dimensions).map(([Name, Value]) => ({ Name, Value })) },
              Period: 60,
              Stat: q.stat,
            },
            ReturnData: true,
          })),
        }),
        { abortSignal: AbortSignal.timeout(timeoutMs) },
      );
      for (const r of page.MetricDataResults ?? []) {
        if (!r.Id) continue;
        // PartialData only says a later page has more; these two say the query itself failed.
        if (r.StatusCode === 'Forbidden' || r.StatusCode === 'InternalError') {
          out.set(r.Id, { refused: [r.StatusCode, ...(r.Messages ?? []).map((m) => m.Value)].filter(Boolean).join(': ') });
          continue;
        }
        if (!r.Values?.length || !r.Timestamps?.length) continue;
        // Newest first: a later page of the same query only holds older datapoints.
        const seen = out.get(r.Id);
        if (seen && 'refused' in seen) continue;
        if (seen) seen.earlier.unshift(...r.Values.toReversed());
        else out.set(r.Id, { value: r.Values[0]!, at: r.Timestamps[0]!, earlier: r.Values.slice(1).toReversed() });
      }
      token = page.NextToken;
    } while (token);
  }
  return out;
}
