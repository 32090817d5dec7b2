import { channel } from '../../../support/readings';
import { describe, expect, it } from 'vitest';
import { analyseCluster, shortSqlError, type ClusterReadings } from '../../../../src/health/replication';
import type { ServerReading } from '../../../../src/model/observations';

const primary = (over: Partial<ServerReading> = {}): ServerReading => ({
  cluster: 'main',
  target: 'main-primary',
  role: 'primary',
  host: '10.0.0.1',
  port: 3306,
  reachable: true,
  probeMs: 1,
  flavor: 'mariadb',
  version: '10.11.19-MariaDB',
  serverId: 1,
  serverUuid: null,
  readOnly: false,
  channels: [],
  gtidExecuted: '0-1-100',
  grants: { excess: [] },
  ...over,
});

const replica = (name: string, serverId: number, over: Partial<ServerReading> = {}): ServerReading => ({
  ...primary(),
  target: name,
  role: 'replica',
  host: `10.0.0.${serverId}`,
  serverId,
  readOnly: true,
  channels: [channel()],
  gtidExecuted: '0-1-100',
  ...over,
});

const unreachable = (r: ServerReading): ServerReading => ({
  cluster: r.cluster,
  target: r.target,
  role: r.role,
  host: r.host,
  port: r.port,
  reachable: false,
  probeMs: 1000,
  error: { code: 'ETIMEDOUT', message: 'connect 10.0.0.1:3306: no answer within 1000 ms' },
});

function analyse(over: Partial<ClusterReadings> = {}) {
  return analyseCluster({
    cluster: 'main',
    lag: { warningSeconds: 5, criticalSeconds: 30, sustainedSamples: 2 },
    primary: primary(),
    replicas: [replica('main-r1', 2), replica('main-r2', 3)],
    lagHistory: () => [],
    ...over,
  });
}

describe('analyseCluster', () => {
  it('finds nothing wrong with a healthy topology and reports Seconds_Behind lag', () => {
    const a = analyse();
    expect(a.findings).toEqual([]);
    expect(a.observations.find((o) => o.target === 'main-r1')).toMatchObject({
      kind: 'mysql-replica',
      lagSeconds: 0,
      lagSource: 'seconds_behind',
      ioRunning: true,
      sqlRunning: true,
    });
  });

  it('names a broken SQL thread with the short error and the runbook', () => {
    const error =
      "Could not execute Write_rows_v1 event on table app.t; Duplicate entry '3' for key 'PRIMARY', Error_code: 1062; handler error HA_ERR_FOUND_DUPP_KEY; the event's master log mysql-bin.000001, end_log_pos 1234";
    const a = analyse({
      replicas: [
        replica('main-r1', 2, { channels: [channel({ sqlRunning: false, sqlErrno: 1062, sqlError: error, secondsBehind: null })] }),
        replica('main-r2', 3),
      ],
    });
    expect(a).toHaveFindings([
      {
        code: 'ReplicationBroken',
        severity: 'critical',
        summary: "SQL thread stopped: 1062 Duplicate entry '3' for key 'PRIMARY'",
        runbook: 'replwatch runbook rebuild-replica --cluster main --replica main-r1',
      },
    ]);
  });

  it('keeps MySQL error text that has no MariaDB wrapper', () => {
    expect(shortSqlError(1146, "Error 'Table 'app.t' doesn't exist' on query. Default database: 'app'. Query: 'insert into t values (1)'")).toBe(
      "1146 Table 'app.t' doesn't exist",
    );
    expect(shortSqlError(1594, 'Relay log read failure')).toBe('1594 Relay log read failure');
  });

  it('tells STOP SLAVE (no error) from an IO error, and NULL lag never reads as healthy', () => {
    const a = analyse({
      replicas: [
        replica('main-r1', 2, { channels: [channel({ ioRunning: false, ioState: 'No', sqlRunning: false, secondsBehind: null })] }),
        replica('main-r2', 3, {
          channels: [channel({ ioRunning: false, ioState: 'Connecting', ioErrno: 1045, ioError: 'Access denied for user repl', secondsBehind: null })],
        }),
      ],
    });
    expect(a).toHaveFindings([
      { code: 'ReplicaIoError', severity: 'critical', target: 'main-r2' },
      { code: 'ReplicationStopped', severity: 'warning', target: 'main-r1' },
    ]);
    expect(a.observations.find((o) => o.target === 'main-r1')).toMatchObject({ lagSeconds: null, ioRunning: false, sqlRunning: false });
  });

  it('flags a replica with no replication, one replicating from elsewhere, and a writable one', () => {
    const a = analyse({
      replicas: [
        replica('main-r1', 2, { channels: [] }),
        replica('main-r2', 3, { channels: [channel({ sourceHost: '10.9.9.9', sourceServerId: 77 })], readOnly: false }),
      ],
    });
    expect(a).toHaveFindings([
      { code: 'NotReplicating', severity: 'critical', target: 'main-r1' },
      { code: 'ReplicaWritable', severity: 'warning', target: 'main-r2' },
      { code: 'WrongPrimary', severity: 'critical', target: 'main-r2' },
    ]);
  });

  it('recognises the primary by server id even when the replica names it differently (DNS vs IP)', () => {
    const a = analyse({ replicas: [replica('main-r1', 2, { channels: [channel({ sourceHost: 'db-primary.internal' })] })] });
    expect(a.findings).toEqual([]);
  });

  it('merges several broken multi-source channels into one finding per code', () => {
    const broken = { sqlRunning: false, sqlErrno: 1062, sqlError: 'dup', secondsBehind: null };
    const a = analyse({
      replicas: [
        replica('main-r1', 2, {
          channels: [
            channel(),
            channel({ name: 'a', sourceHost: '10.1.1.1', sourceServerId: 8, ...broken }),
            channel({ name: 'b', sourceHost: '10.1.1.2', sourceServerId: 9, ...broken }),
          ],
        }),
      ],
    });
    expect(a.findings).toHaveLength(1);
    expect(a.findings[0]!.summary).toContain("channel 'a'");
    expect(a.findings[0]!.details.channels).toEqual(['a', 'b']);
  });

  it('flags super_read_only OFF where it exists (MySQL) even with read_only ON, and not on MariaDB, which has none', () => {
    const mysql = { flavor: 'mysql' as const, version: '8.4.3', serverUuid: '73f86016-978b-11ee-ade5-8d2a2a562feb', gtidExecuted: '' };
    const a = analyse({
      primary: primary(mysql),
      replicas: [
        replica('main-r1', 2, { ...mysql, readOnly: true, superReadOnly: false }),
        replica('main-r2', 3, { ...mysql, readOnly: true, superReadOnly: true }),
      ],
    });
    expect(a).toHaveFindings([
      {
        code: 'ReplicaWritable',
        severity: 'warning',
        target: 'main-r1',
        summary: expect.stringContaining('super_read_only is OFF on main-r1'),
        action: 'run on main-r1: SET GLOBAL super_read_only = ON',
      },
    ]);
    expect(analyse({ replicas: [replica('main-r1', 2, { readOnly: true, superReadOnly: null })] }).findings).toEqual([]);
  });

  it("does not take another source's transactions on a multi-source replica for errant ones", () => {
    const channels = [
      channel({ receivedGtids: '0-1-100' }),
      channel({ name: 'dc2', sourceHost: '10.2.0.1', sourceServerId: 9, receivedGtids: '5-12-40,0-1-100' }),
    ];
    const a = analyse({
      primary: primary({ gtidExecuted: '0-1-100' }),
      replicas: [
        replica('main-r1', 2, { channels, gtidExecuted: '0-1-100,5-9-8,5-12-40' }),
        replica('main-r2', 3, { channels, gtidExecuted: '0-1-100,0-3-7,5-12-40' }),
      ],
    });
    expect(a).toHaveFindings([{ code: 'ErrantTransactions', severity: 'critical', target: 'main-r2', details: { errant: '0-3-7' } }]);
  });

  it('finds errant GTIDs on a replica but not the race where the replica is ahead of what we read on the primary', () => {
    const a = analyse({
      primary: primary({ gtidExecuted: '0-1-100' }),
      replicas: [replica('main-r1', 2, { gtidExecuted: '0-1-101' }), replica('main-r2', 3, { gtidExecuted: '0-1-100,0-3-7' })],
    });
    expect(a).toHaveFindings([{ code: 'ErrantTransactions', severity: 'critical', target: 'main-r2', details: { errant: '0-3-7' } }]);
  });

  describe('lag thresholds and sustained samples', () => {
    const lagging = (secondsBehind: number) => [replica('main-r1', 2, { channels: [channel({ secondsBehind })] })];

    it('does not page on a single sample over the threshold', () => {
      expect(analyse({ replicas: lagging(40) }).findings).toEqual([]);
    });

    it('warns when the warning threshold held for sustainedSamples, critical when critical held', () => {
      expect(analyse({ replicas: lagging(10), lagHistory: () => [9] })).toHaveFindings([{ code: 'ReplicaLagging', severity: 'warning', target: 'main-r1' }]);
      expect(analyse({ replicas: lagging(40), lagHistory: () => [31] })).toHaveFindings([{ code: 'ReplicaLagging', severity: 'critical', target: 'main-r1' }]);
      expect(analyse({ replicas: lagging(40), lagHistory: () => [10] })).toHaveFindings([{ code: 'ReplicaLagging', severity: 'warning', target: 'main-r1' }]);
      expect(analyse({ replicas: lagging(40), lagHistory: () => [1] }).findings).toEqual([]);
    });

    it('prefers the heartbeat, net of the writer interval, over Seconds_Behind', () => {
      const a = analyse({
        heartbeat: { staleSeconds: 10 },
        primary: primary({ heartbeat: [{ serverId: 1, writtenAt: 1000, ageSeconds: 0.7 }] }),
        replicas: [replica('main-r1', 2, { heartbeat: [{ serverId: 1, writtenAt: 988, ageSeconds: 12.7 }], channels: [channel({ secondsBehind: 3 })] })],
        lagHistory: () => [11],
      });
      expect(a.observations.find((o) => o.target === 'main-r1')).toMatchObject({ lagSeconds: 12, lagSource: 'heartbeat' });
      expect(a).toHaveFindings([{ code: 'ReplicaLagging', severity: 'warning', target: 'main-r1' }]);
    });

    it('warns that the heartbeat writer stopped instead of paging lag on every replica', () => {
      const a = analyse({
        heartbeat: { staleSeconds: 10 },
        primary: primary({ heartbeat: [{ serverId: 1, writtenAt: 1000, ageSeconds: 300 }] }),
        replicas: [replica('main-r1', 2, { heartbeat: [{ serverId: 1, writtenAt: 1000, ageSeconds: 300.2 }] })],
        lagHistory: () => [0],
      });
      expect(a).toHaveFindings([{ code: 'HeartbeatStale', severity: 'warning', target: 'main-primary' }]);
      expect(a.observations.find((o) => o.target === 'main-r1')).toMatchObject({ lagSeconds: 0, lagSource: 'heartbeat' });
    });

    it("takes heartbeat lag from the primary's ts alone: a replica clock 30 s ahead changes nothing", () => {
      const a = analyse({
        heartbeat: { staleSeconds: 10 },
        primary: primary({ heartbeat: [{ serverId: 1, writtenAt: 1000.5, ageSeconds: 0.3 }] }),
        replicas: [replica('main-r1', 2, { heartbeat: [{ serverId: 1, writtenAt: 1000, ageSeconds: 30.8 }] })],
        lagHistory: () => [0.5],
      });
      expect(a.observations.find((o) => o.target === 'main-r1')).toMatchObject({ lagSeconds: 0.5, lagSource: 'heartbeat' });
      expect(a.findings).toEqual([]);
    });
  });

  describe('an unreachable primary (holistic, as orchestrator does)', () => {
    const ioDown = { ioRunning: false, ioState: 'Connecting', ioErrno: 2003, ioError: "Can't connect to server on '10.0.0.1' (111)", secondsBehind: null };

    it('is the database being down when every replica fails to connect to it: one critical finding', () => {
      const a = analyse({
        primary: unreachable(primary()),
        replicas: [replica('main-r1', 2, { channels: [channel(ioDown)] }), replica('main-r2', 3, { channels: [channel(ioDown)] })],
        lagHistory: () => [60],
      });
      expect(a).toHaveFindings([{ code: 'PrimaryUnreachable', severity: 'critical', target: 'main-primary' }]);
      expect((a.findings[0]!.details.absorbed as unknown[]).length).toBe(2);
    });

    it("is the monitor's path when any replica still replicates from it: a warning", () => {
      const a = analyse({ primary: unreachable(primary()), replicas: [replica('main-r1', 2), replica('main-r2', 3, { channels: [channel(ioDown)] })] });
      expect(a).toHaveFindings([
        { code: 'MonitorPathDown', severity: 'warning', target: 'main-primary' },
        { code: 'ReplicaIoError', severity: 'critical', target: 'main-r2' },
      ]);
      expect(a).toHaveFinding('MonitorPathDown', { details: { scope: 'monitor-path' } });
    });

    it('assumes the worst when no replica can be asked', () => {
      const a = analyse({ primary: unreachable(primary()), replicas: [unreachable(replica('main-r1', 2)), unreachable(replica('main-r2', 3))] });
      expect(a).toHaveFindings([
        { code: 'PrimaryUnreachable', severity: 'critical', target: 'main-primary' },
        { code: 'ReplicaUnreachable', severity: 'critical', target: 'main-r1' },
        { code: 'ReplicaUnreachable', severity: 'critical', target: 'main-r2' },
      ]);
    });

    it('does not call a replica WrongPrimary when the primary cannot be asked who it is', () => {
      const a = analyse({ primary: unreachable(primary()), replicas: [replica('main-r1', 2, { channels: [channel({ sourceHost: 'db-primary.internal' })] })] });
      expect(a).not.toHaveFinding('WrongPrimary');
    });

    it("counts a replica's only channel as the primary's when the replicas know it by another name (DNS vs IP)", () => {
      const byName = channel({ sourceHost: 'db-primary.internal' });
      const a = analyse({
        primary: unreachable(primary()),
        replicas: [replica('main-r1', 2, { channels: [byName] }), replica('main-r2', 3, { channels: [byName] })],
      });
      expect(a).toHaveFindings([
        {
          code: 'MonitorPathDown',
          severity: 'warning',
          target: 'main-primary',
          summary: expect.stringContaining('main-r1, main-r2 still replicate from it'),
          details: { scope: 'monitor-path' },
        },
      ]);
      expect((a.findings[0]!.details.replicas as Array<{ evidence: string }>)[0]!.evidence).toBe('IO thread running, from db-primary.internal:3306');
    });

    it('does not count an only channel whose source is known to be another server', () => {
      const elsewhere = channel({ sourceHost: 'db-new.internal', sourceServerId: 7 });
      const a = analyse({ primary: unreachable(primary()), lastPrimaryServerId: 1, replicas: [replica('main-r1', 2, { channels: [elsewhere] })] });
      expect(a).toHaveFindings([{ code: 'PrimaryUnreachable', severity: 'critical', target: 'main-primary' }]);
    });

    it('finds the primary among several channels by the server id it had when last seen', () => {
      const channels = [channel({ name: 'dc2', sourceHost: '10.2.0.1', sourceServerId: 9 }), channel({ name: '', sourceHost: 'db-primary.internal' })];
      const a = analyse({ primary: unreachable(primary()), lastPrimaryServerId: 1, replicas: [replica('main-r1', 2, { channels })] });
      expect(a).toHaveFindings([{ code: 'MonitorPathDown', severity: 'warning', target: 'main-primary' }]);
      expect(analyse({ primary: unreachable(primary()), replicas: [replica('main-r1', 2, { channels })] })).toHaveFindings([
        { code: 'PrimaryUnreachable', severity: 'critical', target: 'main-primary' },
      ]);
    });
  });

  describe("the monitor's account refused (a server that answered)", () => {
    const refusedBy = (r: ServerReading, errno: number, message: string): ServerReading => ({
      ...unreachable(r),
      probeMs: 3,
      error: { code: 'ER_ACCESS_DENIED_ERROR', errno, message },
    });
    const ioDown = { ioRunning: false, ioState: 'No', secondsBehind: null };

    it('is a warning on the monitor path, never a down primary to fail over, even with no replica replicating', () => {
      const a = analyse({
        primary: refusedBy(primary(), 4151, 'Access denied, this account is locked'),
        replicas: [replica('main-r1', 2, { channels: [channel(ioDown)] })],
      });
      const f = a.findings.find((x) => x.code === 'MonitorRefused')!;
      expect(f).toMatchObject({ severity: 'warning', summary: "the monitor's account was refused: 4151 Access denied, this account is locked" });
      expect(f.details.scope).toBe('monitor-path');
      expect(f.action).toContain('grants');
      expect(f.action).not.toContain('promote');
      expect(a).toHaveFindings([
        { code: 'MonitorRefused', severity: 'warning', target: 'main-primary' },
        { code: 'ReplicationStopped', severity: 'warning', target: 'main-r1' },
      ]);
    });

    it('names the replicas that still replicate, and treats a refused replica the same way', () => {
      const a = analyse({
        primary: refusedBy(primary(), 1227, 'Access denied; you need (at least one of) the SUPER, SLAVE MONITOR privilege(s) for this operation'),
        replicas: [replica('main-r1', 2), refusedBy(replica('main-r2', 3), 1045, "Access denied for user 'replwatch'@'10.0.0.9' (using password: YES)")],
      });
      expect(a).toHaveFindings([
        { code: 'MonitorRefused', severity: 'warning', target: 'main-primary' },
        { code: 'MonitorRefused', severity: 'warning', target: 'main-r2' },
      ]);
      expect(a.findings.find((f) => f.target === 'main-primary')!.summary).toMatch(
        /^the monitor's account was refused: 1227 .*; main-r1 still replicate from it$/,
      );
      const r2 = a.findings.find((f) => f.target === 'main-r2')!;
      expect(r2.summary).toBe("the monitor's account was refused: 1045 Access denied for user 'replwatch'@'10.0.0.9' (using password: YES)");
      expect(r2.details.scope).toBe('monitor-path');
    });

    it('keeps a timeout or a refused connection what it was: the server did not answer', () => {
      const a = analyse({ primary: unreachable(primary()), replicas: [unreachable(replica('main-r1', 2))] });
      expect(a).toHaveFindings([
        { code: 'PrimaryUnreachable', severity: 'critical', target: 'main-primary' },
        { code: 'ReplicaUnreachable', severity: 'critical', target: 'main-r1' },
      ]);
    });
  });

  describe("an unreachable primary, told by its replicas' heartbeat copies (staleSeconds 10; lost 6 s ago)", () => {
    const lost = { at: 0, writerRunning: true };
    const copyOf = (ageSeconds: number) => ({ heartbeat: [{ serverId: 1, writtenAt: 1000, ageSeconds }], heartbeatReadAt: 6000 });
    const verdict = (r1: Partial<ServerReading>, r2: Partial<ServerReading>, over: Partial<ClusterReadings> = {}) => {
      const a = analyse({
        heartbeat: { staleSeconds: 10 },
        primary: unreachable(primary()),
        lastPrimaryServerId: 1,
        primaryLost: lost,
        replicas: [replica('main-r1', 2, r1), replica('main-r2', 3, r2)],
        ...over,
      });
      const f = a.findings.find((x) => x.code === 'PrimaryUnreachable' || x.code === 'MonitorPathDown')!;
      return {
        severity: f.severity,
        verdict: f.details.verdict ?? f.details.scope,
        alive: (f.details.replicas as Array<{ alive: boolean | null }>).map((v) => v.alive),
      };
    };

    it('a copy written since the monitor lost it: alive (the monitor path)', () => {
      expect(verdict(copyOf(0.7), copyOf(6.5))).toEqual({ severity: 'warning', verdict: 'monitor-path', alive: [true, null] });
    });

    it("copies as old as the outage: undecided, even while a lagging replica's copy still advances", () => {
      // r2 is 4 s behind: it goes on applying heartbeats the primary wrote before it froze.
      expect(verdict(copyOf(6.2), { ...copyOf(5.5), channels: [channel({ secondsBehind: 4 })] })).toEqual({
        severity: 'critical',
        verdict: 'undecided',
        alive: [null, null],
      });
    });

    it("stale beyond the replica's own backlog: the primary stopped writing; a backlog alone is not", () => {
      expect(verdict(copyOf(12), copyOf(13))).toEqual({ severity: 'critical', verdict: 'database', alive: [false, false] });
      // 14 s old, 9 s of it r1's backlog: r1 is lagging, not testifying to a stopped primary.
      expect(verdict({ ...copyOf(14), channels: [channel({ secondsBehind: 9 })] }, copyOf(12)).alive).toEqual([null, false]);
    });

    it('no testimony from the heartbeat when its writer was already stopped: the IO threads decide', () => {
      expect(verdict(copyOf(300), copyOf(300), { primaryLost: { at: 0, writerRunning: false } })).toEqual({
        severity: 'warning',
        verdict: 'monitor-path',
        alive: [true, true],
      });
    });
  });

  it('advises, without paging, when the monitor account holds too much', () => {
    const a = analyse({ primary: primary({ grants: { excess: ['SUPER', 'INSERT'] } }) });
    expect(a).toHaveFindings([{ code: 'MonitorOverPrivileged', severity: 'info', target: 'main-primary' }]);
  });
});
