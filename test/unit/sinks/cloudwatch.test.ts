import { CloudWatchClient, PutMetricDataCommand, type MetricDatum } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_METRICS_PER_CALL, checkMetrics, publishMetrics } from '../../../src/sinks/cloudwatch';
import type { Finding } from '../../../src/model/findings';

const cw = mockClient(CloudWatchClient);
afterEach(() => cw.reset());

const datum = (i: number): MetricDatum => ({ MetricName: 'ReplicaLagSeconds', Value: i });

describe('publishMetrics', () => {
  it('splits into calls of at most 1000 metrics', async () => {
    cw.on(PutMetricDataCommand).resolves({});
    const r = await publishMetrics(
      new CloudWatchClient({ region: 'us-east-1' }),
      'Replwatch',
      Array.from({ length: 2500 }, (_, i) => datum(i)),
    );
    expect(r).toEqual({ sent: 2500, failed: 0, errors: [] });
    const calls = cw.commandCalls(PutMetricDataCommand);
    expect(calls.map((c) => c.args[0].input.MetricData!.length)).toEqual([MAX_METRICS_PER_CALL, MAX_METRICS_PER_CALL, 500]);
    expect(calls.every((c) => c.args[0].input.Namespace === 'Replwatch')).toBe(true);
  });

  it('counts a failed batch and goes on with the next, never throws', async () => {
    cw.on(PutMetricDataCommand).rejectsOnce(new Error('Throttling')).resolves({});
    const r = await publishMetrics(
      new CloudWatchClient({ region: 'us-east-1' }),
      'Replwatch',
      Array.from({ length: 1001 }, (_, i) => datum(i)),
    );
    expect(r).toEqual({ sent: 1, failed: 1000, errors: ['Throttling'] });
  });
});

describe('checkMetrics', () => {
  it('publishes lag, health and reachability per target, the duration, and the dead-man count', () => {
    const findings: Finding[] = [{ code: 'ReplicationStopped', severity: 'warning', cluster: 'main', target: 'main-r2', summary: '', details: {} }];
    const data = checkMetrics({
      observations: [
        { kind: 'mysql-primary', cluster: 'main', target: 'main-primary', reachable: true, readOnly: false, heartbeatAgeSeconds: 0.4, probeMs: 2 },
        {
          kind: 'mysql-replica',
          cluster: 'main',
          target: 'main-r1',
          reachable: true,
          lagSeconds: 1.5,
          lagSource: 'heartbeat',
          ioRunning: true,
          sqlRunning: true,
          readOnly: true,
          source: null,
          probeMs: 2,
        },
        {
          kind: 'mysql-replica',
          cluster: 'main',
          target: 'main-r2',
          reachable: true,
          lagSeconds: null,
          lagSource: null,
          ioRunning: false,
          sqlRunning: false,
          readOnly: true,
          source: null,
          probeMs: 2,
        },
      ],
      findings,
      durationMs: 12,
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
      'CheckDurationMs replication 12',
      'ChecksCompleted replication 1',
    ]);
    expect(data.every((d) => d.StorageResolution === 1)).toBe(true);
  });

  it('publishes memcache reachability and round trip, and loss and RTT of our own network probes only', () => {
    const data = checkMetrics({
      observations: [
        { kind: 'memcache', pool: 'sessions', target: '10.0.1.5:11211', reachable: true, roundTripMs: 0.4 },
        { kind: 'memcache', pool: 'sessions', target: '10.0.1.6:11211', reachable: false, roundTripMs: null },
        { kind: 'network', group: 'db', target: '10.0.0.5:3306', source: 'tcp', lossPercent: 3, rttMs: { p50: 0.2, p95: 0.9, max: 2 }, jitterMs: 0.1 },
        {
          kind: 'network',
          group: 'db',
          target: '10.0.0.5:3306',
          source: 'networkmonitor',
          lossPercent: 1,
          rttMs: { p50: 0.3, p95: null, max: null },
          jitterMs: null,
        },
      ],
      findings: [],
      durationMs: 40,
      timestamp: new Date('2026-11-22T10:00:00Z'),
      storageResolution: 60,
      check: 'network',
    });
    expect(data.map((d) => `${d.MetricName} ${d.Dimensions!.map((x) => x.Value).join('/')} ${d.Value}`)).toEqual([
      'MemcacheReachable sessions/10.0.1.5:11211 1',
      'MemcacheRoundTripMs sessions/10.0.1.5:11211 0.4',
      'MemcacheReachable sessions/10.0.1.6:11211 0',
      'NetworkLossPercent db/10.0.0.5:3306 3',
      'NetworkRttP50Ms db/10.0.0.5:3306 0.2',
      'NetworkRttP95Ms db/10.0.0.5:3306 0.9',
      'CheckDurationMs network 40',
      'ChecksCompleted network 1',
    ]);
  });
});
