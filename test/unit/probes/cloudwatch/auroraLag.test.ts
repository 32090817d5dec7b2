import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { readAuroraReplicaLag } from '../../../../src/probes/cloudwatch/auroraLag';
import { latestDatapoints } from '../../../../src/probes/cloudwatch/latest';

const cw = mockClient(CloudWatchClient);
afterEach(() => cw.reset());
const client = () => new CloudWatchClient({ region: 'us-east-1' });
const now = new Date('2026-11-22T10:00:00Z');
const minute = (m: number) => new Date(now.getTime() - m * 60_000);

describe('reading AWS metrics', () => {
  it('reads AuroraReplicaLag per instance (milliseconds, the newest datapoint), and names an instance with none', async () => {
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'lag0', Values: [1520, 20], Timestamps: [minute(1), minute(2)] },
        { Id: 'lag1', Values: [], Timestamps: [] },
      ],
    });
    const out = await readAuroraReplicaLag(client(), ['db-r1', 'db-r2'], now);
    expect(out.get('db-r1')).toEqual({ lagSeconds: 1.52, at: minute(1), earlierSeconds: [0.02] });
    expect(out.get('db-r2')).toEqual({ error: 'no AuroraReplicaLag datapoint for DB instance db-r2 in the last 5 minutes' });
    const input = cw.commandCalls(GetMetricDataCommand)[0]!.args[0].input;
    expect(input.MetricDataQueries![1]!.MetricStat).toEqual({
      Metric: { Namespace: 'AWS/RDS', MetricName: 'AuroraReplicaLag', Dimensions: [{ Name: 'DBInstanceIdentifier', Value: 'db-r2' }] },
      Period: 60,
      Stat: 'Maximum',
    });
    expect(input.StartTime).toEqual(minute(5));
  });

  it('names a query CloudWatch itself refused (StatusCode Forbidden, InternalError) with its message, not as missing data', async () => {
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'lag0', StatusCode: 'Forbidden', Messages: [{ Code: 'Forbidden', Value: 'no access to the source account' }], Values: [], Timestamps: [] },
        { Id: 'lag1', StatusCode: 'PartialData', Values: [30], Timestamps: [minute(1)] },
      ],
    });
    const out = await readAuroraReplicaLag(client(), ['db-r1', 'db-r2'], now);
    expect(out.get('db-r1')).toEqual({ error: 'CloudWatch refused AuroraReplicaLag of DB instance db-r1: Forbidden: no access to the source account' });
    expect(out.get('db-r2')).toEqual({ lagSeconds: 0.03, at: minute(1), earlierSeconds: [] });
  });

  it("turns a CloudWatch failure into every instance's error, never a throw", async () => {
    cw.on(GetMetricDataCommand).rejects(Object.assign(new Error('User is not authorized to perform: cloudwatch:GetMetricData'), { name: 'AccessDenied' }));
    const out = await readAuroraReplicaLag(client(), ['db-r1'], now);
    expect(out.get('db-r1')).toEqual({ error: 'CloudWatch GetMetricData failed: AccessDenied: User is not authorized to perform: cloudwatch:GetMetricData' });
  });

  it("asks 500 queries a call at most, follows NextToken, and keeps each query's newest datapoint with the older ones", async () => {
    const queries = Array.from({ length: 501 }, (_, i) => ({
      id: `q${i}`,
      namespace: 'AWS/RDS',
      metric: 'AuroraReplicaLag',
      dimensions: { DBInstanceIdentifier: `db${i}` },
      stat: 'Maximum' as const,
    }));
    cw.on(GetMetricDataCommand)
      .resolvesOnce({ MetricDataResults: [{ Id: 'q0', Values: [7], Timestamps: [minute(1)] }], NextToken: 'more' })
      .resolvesOnce({
        MetricDataResults: [
          { Id: 'q0', Values: [3], Timestamps: [minute(3)] },
          { Id: 'q499', Values: [9], Timestamps: [minute(2)] },
        ],
      })
      .resolvesOnce({ MetricDataResults: [{ Id: 'q500', Values: [4], Timestamps: [minute(1)] }] });
    const out = await latestDatapoints(client(), queries, now);
    const calls = cw.commandCalls(GetMetricDataCommand).map((c) => [c.args[0].input.MetricDataQueries!.length, c.args[0].input.NextToken]);
    expect(calls).toEqual([
      [500, undefined],
      [500, 'more'],
      [1, undefined],
    ]);
    expect([out.get('q0'), out.get('q499'), out.get('q500'), out.get('q1')]).toEqual([
      { value: 7, at: minute(1), earlier: [3] },
      { value: 9, at: minute(2), earlier: [] },
      { value: 4, at: minute(1), earlier: [] },
      null,
    ]);
  });
});
