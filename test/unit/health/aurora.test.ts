import { describe, expect, it } from 'vitest';
import { analyseCluster, type ClusterReadings } from '../../../src/health/replication';
import type { ServerReading } from '../../../src/model/observations';
import { parseConfig } from '../../../src/config/load';
import { resolveTarget } from '../../../src/runbooks/target';

const now = new Date('2026-11-22T10:00:00Z');
const minute = (m: number) => new Date(now.getTime() - m * 60_000);

// An Aurora reader as the probe sees it: no replica status, read_only may well be OFF (Aurora
// enforces innodb_read_only instead), GTIDs unknown.
const server = (target: string, id: number, over: Partial<ServerReading> = {}): ServerReading => ({
  cluster: 'aurora',
  target,
  role: id === 1 ? 'primary' : 'replica',
  host: `10.0.0.${id}`,
  port: 3306,
  reachable: true,
  probeMs: 1,
  flavor: 'mysql',
  version: '8.0.39',
  serverId: id,
  serverUuid: null,
  readOnly: false,
  channels: [],
  grants: { excess: [] },
  ...over,
});

function analyse(over: Partial<ClusterReadings>) {
  return analyseCluster({
    cluster: 'aurora',
    lag: { warningSeconds: 5, criticalSeconds: 30, sustainedSamples: 2 },
    primary: server('aurora-writer', 1),
    replicas: [server('aurora-r1', 2), server('aurora-r2', 3)],
    lagHistory: () => [],
    ...over,
  });
}

describe('an Aurora cluster', () => {
  it('judges a reader by its lag alone: no threads, source, GTIDs or read_only to page about', () => {
    const lags = {
      'aurora-r1': { lagSeconds: 0.021, at: minute(1), earlierSeconds: [] },
      'aurora-r2': { lagSeconds: 0.018, at: minute(1), earlierSeconds: [] },
    };
    const a = analyse({ aurora: { lag: (t) => lags[t as keyof typeof lags] } });
    expect(a.findings).toEqual([]);
    expect(a.observations.filter((o) => o.kind === 'mysql-replica').map((o) => [o.target, o.lagSeconds, o.lagSource, o.ioRunning, o.source])).toEqual([
      ['aurora-r1', 0.021, 'cloudwatch', null, null],
      ['aurora-r2', 0.018, 'cloudwatch', null, null],
    ]);
  });

  it('pages AuroraReplicaLag over the threshold once sustained, and a reader whose lag cannot be read as LagUnknown', () => {
    const a = analyse({
      aurora: {
        lag: (t) =>
          t === 'aurora-r1'
            ? { lagSeconds: 42, at: minute(1), earlierSeconds: [] }
            : { error: 'no AuroraReplicaLag datapoint for DB instance aurora-r2 in the last 5 minutes' },
      },
      lagHistory: (t) => (t === 'aurora-r1' ? [35] : []),
    });
    expect(a).toHaveFindings(
      [
        {
          code: 'ReplicaLagging',
          severity: 'critical',
          target: 'aurora-r1',
          summary: 'lag 42.0 s (cloudwatch), over the critical threshold of 30 s for 2 samples',
        },
        { code: 'LagUnknown', severity: 'warning', target: 'aurora-r2', action: expect.stringContaining('rdsInstanceId') },
      ],
      { inOrder: true },
    );
  });

  it('takes the heartbeat when the cluster has one (the readers see the writer row through the shared storage)', () => {
    const row = (writtenAt: number) => ({ serverId: 1, writtenAt, ageSeconds: 0 });
    const a = analyse({
      heartbeat: { staleSeconds: 10 },
      primary: server('aurora-writer', 1, { heartbeat: [row(1000.5)] }),
      replicas: [server('aurora-r1', 2, { heartbeat: [row(1000.4)] }), server('aurora-r2', 3)],
      aurora: { lag: () => undefined },
    });
    expect(a.observations.find((o) => o.target === 'aurora-r1')).toMatchObject({ lagSeconds: 0.1, lagSource: 'heartbeat' });
    expect(a).toHaveFindings([
      { code: 'LagUnknown', target: 'aurora-r2', summary: 'lag of aurora-r2 is unknown: no heartbeat row of the writer on aurora-r2' },
    ]);
  });

  it("hears a reader whose copy of the writer's heartbeat is fresh: a writer unreachable to the monitor alone is a monitor-path warning", () => {
    const copy = (ageSeconds: number) => [{ serverId: 1, writtenAt: 1000, ageSeconds }];
    const writerDown = server('aurora-writer', 1, { reachable: false, serverId: undefined, error: { code: 'ETIMEDOUT', message: 'connect ETIMEDOUT' } });
    // replwatch lost the writer 5 s ago (monotonic ms 0 -> 5000); the copies are under a second
    // old: the writer wrote after that, it still writes.
    const partition = analyse({
      heartbeat: { staleSeconds: 10 },
      primary: writerDown,
      lastPrimaryServerId: 1,
      primaryLost: { at: 0, writerRunning: true },
      replicas: [
        server('aurora-r1', 2, { heartbeat: copy(0.8), heartbeatReadAt: 5000 }),
        server('aurora-r2', 3, { heartbeat: copy(0.9), heartbeatReadAt: 5000 }),
      ],
      aurora: { lag: () => undefined },
    });
    expect(partition).toHaveFindings([
      {
        code: 'MonitorPathDown',
        severity: 'warning',
        summary: expect.stringContaining('aurora-r1, aurora-r2 still replicate from it'),
        details: { scope: 'monitor-path' },
      },
    ]);

    // Copies as old as the outage say nothing yet: a frozen writer looks so for staleSeconds.
    // Provisional (not paged) rather than the monitor-path verdict.
    const frozen = analyse({
      heartbeat: { staleSeconds: 10 },
      primary: writerDown,
      lastPrimaryServerId: 1,
      primaryLost: { at: 0, writerRunning: true },
      replicas: [
        server('aurora-r1', 2, { heartbeat: copy(2.1), heartbeatReadAt: 2000 }),
        server('aurora-r2', 3, { heartbeat: copy(2.2), heartbeatReadAt: 2000 }),
      ],
      aurora: { lag: () => undefined },
    });
    expect(frozen).toHaveFindings([{ code: 'PrimaryUnreachable', severity: 'critical', details: { verdict: 'undecided' } }]);
    expect((frozen.findings[0]!.details.replicas as Array<{ alive: unknown }>).map((v) => v.alive)).toEqual([null, null]);

    // The copies age when the writer is really down: one critical page, the readers' lag folded in.
    const down = analyse({
      heartbeat: { staleSeconds: 10 },
      primary: writerDown,
      lastPrimaryServerId: 1,
      replicas: [server('aurora-r1', 2, { heartbeat: copy(45) }), server('aurora-r2', 3)],
      aurora: { lag: () => undefined },
      lagHistory: () => [44],
    });
    expect(down).toHaveFindings([{ code: 'PrimaryUnreachable', severity: 'critical' }]);
    expect(down.findings[0]!.details.absorbed).toEqual([
      expect.objectContaining({ code: 'ReplicaLagging', target: 'aurora-r1' }),
      expect.objectContaining({ code: 'LagUnknown', target: 'aurora-r2' }),
    ]);
    expect(down.findings[0]!.details.replicas).toEqual([
      { target: 'aurora-r1', alive: false, evidence: "the primary's heartbeat row on aurora-r1 is 45.0 s old, stale after 10 s: the primary stopped writing" },
      { target: 'aurora-r2', alive: false, evidence: 'no heartbeat row of the writer on aurora-r2' },
    ]);
  });

  it('cannot hear a reader without a heartbeat: AuroraReplicaLag is too late to say the writer is alive now', () => {
    const a = analyse({
      primary: server('aurora-writer', 1, { reachable: false, serverId: undefined, error: { code: 'ETIMEDOUT', message: 'connect ETIMEDOUT' } }),
      aurora: { lag: () => ({ lagSeconds: 0.02, at: minute(1), earlierSeconds: [] }) },
    });
    expect(a).toHaveFindings([{ code: 'PrimaryUnreachable', severity: 'critical', details: { replicas: [] } }]);
  });

  it('is refused by the rebuild runbook: a reader has no data of its own', () => {
    const config = parseConfig(
      JSON.stringify({ clusters: [{ name: 'aurora', aurora: true, primary: { host: 'w' }, replicas: [{ name: 'aurora-r1', host: 'r' }], user: 'u' }] }),
      'aurora.json',
    );
    expect(() => resolveTarget(config, 'aurora', 'aurora-r1')).toThrow(/aurora is an Aurora cluster: its readers share the writer's storage/);
  });
});
