import { CloudWatchClient, PutMetricDataCommand, type MetricDatum } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_METRICS_PER_CALL, publishMetrics, replicationMetrics } from '../../src/sinks/cloudwatch';
import type { Finding } from '../../src/model/findings';

const cw = mockClient(CloudWatchClient);
afterEach(() => cw.reset());

const datum = (i: number): MetricDatum => ({ MetricName: 'ReplicaLagSeconds', Value: i });

describe('publishMetrics', () => {
  it('splits into calls of at most 1000 metrics', async () => {
    cw.on(PutMetricDataCommand).resolves({});
    const r = await publishMetrics(new CloudWatchClient({ region: 'us-east-1' }), 'Replwatch', Array.from({ length: 2500 }, (_, i) => datum(i)));
    expect(r).toEqual({ sent: 2500, failed: 0, errors: [] });
    const calls = cw.commandCalls(PutMetricDataCommand);
    expect(calls.map((c) => c.args[0].input.MetricData!.length)).toEqual([MAX_METRICS_PER_CALL, MAX_METRICS_PER_CALL, 500]);
    expect(calls.every((c) => c.args[0].input.Namespace === 'Replwatch')).toBe(true);
  });

  it('counts a failed batch and goes on with the next, never throws', async () => {
    cw.on(PutMetricDataCommand).rejectsOnce(new Error('Throttling')).resolves({});
    const r = await publishMetrics(new CloudWatchClient({ region: 'us-east-1' }), 'Replwatch', Array.from({ length: 1001 }, (_, i) => datum(i)));
    expect(r).toEqual({ sent: 1, failed: 1000, errors: ['Throttling'] });
  });
});

describe('replicationMetrics', () => {
  it('publishes lag, health and reachability per target, duration per cluster, and the dead-man count', () => {
    const findings: Finding[] = [{ code: 'ReplicationStopped', severity: 'warning', cluster: 'main', target: 'main-r2', summary: '', details: {} }];
    const data = replicationMetrics({
      observations: [
        { kind: 'mysql-primary', cluster: 'main', target: 'main-primary', reachable: true, readOnly: false, heartbeatAgeSeconds: 0.4, probeMs: 2 },
        { kind: 'mysql-replica', cluster: 'main', target: 'main-r1', reachable: true, lagSeconds: 1.5, lagSource: 'heartbeat', ioRunning: true, sqlRunning: true, readOnly: true, source: null, probeMs: 2 },
        { kind: 'mysql-replica', cluster: 'main', target: 'main-r2', reachable: true, lagSeconds: null, lagSource: null, ioRunning: false, sqlRunning: false, readOnly: true, source: null, probeMs: 2 },
      ],
      findings,
      durationMs: new Map([['main', 12]]),
      timestamp: new Date('2026-11-22T10:00:00Z'),
      storageResolution: 1,
      check: 'replication',
    });
    const summary = data.map((d) => `${d.MetricName} ${d.Dimensions!.map((x) => x.Value).join('/')} ${d.Value}`);
    expect(summary).toEqual([
      'PrimaryReachable main 1',
      'ReplicaLagSeconds main/main-r1 1.5',
      'ReplicationHealthy main/main-r1 1',
      'ReplicationHealthy main/main-r2 0',
      'CheckDurationMs main 12',
      'ChecksCompleted replication 1',
    ]);
    expect(data.every((d) => d.StorageResolution === 1)).toBe(true);
  });
});
