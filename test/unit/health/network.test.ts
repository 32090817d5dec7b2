import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { analyseLoss, percentile, summariseHandshakes } from '../../../src/health/network';
import { readNetworkMonitor } from '../../../src/probes/cloudwatch/networkMonitor';
import { paceMs } from '../../../src/probes/network/probe';

const t = { warningPercent: 2, criticalPercent: 10 };
const reading = (lost: number, rtts: number[], lossReasons: Record<string, number> = {}) => ({
  group: 'db',
  target: '10.0.0.5:3306',
  sent: lost + rtts.length,
  lost,
  rtts,
  lossReasons,
});

describe('summariseHandshakes', () => {
  it('computes loss, nearest-rank percentiles and jitter', () => {
    const m = summariseHandshakes(reading(1, [1, 3, 2, 4]));
    expect(m).toMatchObject({ lossPercent: 20, rttMs: { p50: 2, p95: 4, max: 4 }, sent: 5, lost: 1 });
    expect(m.jitterMs).toBe(1.667); // mean of |3-1|, |2-3|, |4-2|, to the microsecond
    expect(percentile([], 50)).toBeNull();
    expect(percentile([5], 95)).toBe(5);
  });
});

describe('analyseLoss', () => {
  it('is quiet under the warning threshold', () => {
    expect(analyseLoss(t, summariseHandshakes(reading(1, new Array(99).fill(0.2)))).findings).toEqual([]);
  });
  it('warns, then goes critical, at the thresholds', () => {
    expect(analyseLoss(t, summariseHandshakes(reading(2, new Array(98).fill(0.2)))).findings.map((f) => f.severity)).toEqual(['warning']);
    const crit = analyseLoss(t, summariseHandshakes(reading(30, new Array(70).fill(0.2), { timeout: 30 })));
    expect(crit).toHaveFindings([
      {
        code: 'PacketLoss',
        severity: 'critical',
        cluster: 'db',
        summary: '30.0% packet loss to 10.0.0.5:3306 (100 TCP handshakes, 30 lost), over the critical threshold of 10%',
      },
    ]);
  });
  it('calls a target where every probe was lost HostUnreachable, with the reasons', () => {
    const r = analyseLoss(t, summariseHandshakes(reading(100, [], { timeout: 97, EHOSTUNREACH: 3 })));
    expect(r).toHaveFindings([{ code: 'HostUnreachable', summary: expect.stringContaining('timeout: 97, EHOSTUNREACH: 3') }]);
    expect(r.observation).toMatchObject({ kind: 'network', lossPercent: 100, rttMs: { p50: null } });
  });
  it('judges AWS Network Monitor figures by the same thresholds, and stays quiet without data', () => {
    const nm = { group: 'db', target: '10.0.0.5:3306', source: 'networkmonitor' as const, rttMs: { p50: 1, p95: null, max: null }, jitterMs: null };
    expect(analyseLoss(t, { ...nm, lossPercent: 12 }).findings[0]!.summary).toContain('AWS Network Monitor');
    expect(analyseLoss(t, { ...nm, lossPercent: null, error: 'AccessDenied' }).findings).toEqual([]);
  });
});

describe('probe pacing', () => {
  it('spreads a run over about a second, 1 to 10 ms apart', () => {
    expect(paceMs(100)).toBe(10);
    expect(paceMs(200)).toBe(5);
    expect(paceMs(5000)).toBe(1);
    expect(paceMs(10)).toBe(10);
  });
});

const cw = mockClient(CloudWatchClient);
afterEach(() => cw.reset());

describe('readNetworkMonitor', () => {
  it('reads the latest PacketLoss and RTT (microseconds) per probe in one call', async () => {
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'loss0', Values: [4.5, 0], Timestamps: [new Date('2026-11-22T09:59:00Z'), new Date('2026-11-22T09:58:00Z')] },
        { Id: 'rtt0', Values: [2300], Timestamps: [new Date('2026-11-22T09:59:00Z')] },
        { Id: 'loss1', Values: [], Timestamps: [] },
        { Id: 'rtt1', Values: [], Timestamps: [] },
      ],
    });
    const out = await readNetworkMonitor(
      new CloudWatchClient({ region: 'us-east-1' }),
      'dc-link',
      { '10.0.0.5:3306': 'probe-abc', '10.0.0.6:3306': 'probe-def' },
      new Date('2026-11-22T10:00:00Z'),
    );
    expect(out).toEqual([
      { target: '10.0.0.5:3306', probeId: 'probe-abc', lossPercent: 4.5, rttMs: 2.3 },
      { target: '10.0.0.6:3306', probeId: 'probe-def', lossPercent: null, rttMs: null },
    ]);
    const input = cw.commandCalls(GetMetricDataCommand)[0]!.args[0].input;
    expect(input.MetricDataQueries).toHaveLength(4);
    expect(input.MetricDataQueries![0]!.MetricStat!.Metric).toEqual({
      Namespace: 'AWS/NetworkMonitor',
      MetricName: 'PacketLoss',
      Dimensions: [
        { Name: 'Monitor', Value: 'dc-link' },
        { Name: 'Probe', Value: 'probe-abc' },
      ],
    });
  });
});
