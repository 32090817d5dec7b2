import type { AuroraLag } from '../../model/readings';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { latestDatapoints } from './latest';

/**
 * AuroraReplicaLag (AWS/RDS, milliseconds, per DBInstanceIdentifier) of Aurora readers, by
 * instance id. A reader shares the writer's storage and has no replication threads to ask; this
 * is the figure AWS measures for it, published once a minute. The window's older datapoints
 * come along: a checker with no history of its own (a one-shot check, a cold container) judges
 * `sustainedSamples` on them rather than wait minutes for new ones.
 */
export async function readAuroraReplicaLag(client: CloudWatchClient, instanceIds: string[], now: Date, timeoutMs = 5000): Promise<Map<string, AuroraLag>> {
  const queries = instanceIds.map((id, i) => ({
    id: `lag${i}`,
    namespace: 'AWS/RDS',
    metric: 'AuroraReplicaLag',
    dimensions: { DBInstanceIdentifier: id },
    stat: 'Maximum' as const,
  }));
  let latest: Awaited<ReturnType<typeof latestDatapoints>>;
  try {
    latest = await latestDatapoints(client, queries, now, timeoutMs);
  } catch (e) {
    const error = `CloudWatch GetMetricData failed: ${(e as Error).name}: ${(e as Error).message}`;
    return new Map(instanceIds.map((id) => [id, { error }]));
  }
  return new Map(
    instanceIds.map((id, i): [string, AuroraLag] => {
      const d = latest.get(`lag${i}`);
      if (!d) return [id, { error: `no AuroraReplicaLag datapoint for DB instance ${id} in the last 5 minutes` }];
      if ('refused' in d) return [id, { error: `CloudWatch refused AuroraReplicaLag of DB instance ${id}: ${d.refused}` }];
      return [id, { lagSeconds: d.value / 1000, at: d.at, earlierSeconds: d.earlier.map((ms) => ms / 1000) }];
    }),
  );
}
