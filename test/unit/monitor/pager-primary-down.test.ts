import { channel } from '../../support/readings';
import { describe, expect, it } from 'vitest';
import type { Page } from '../../../src/alerting/page';
import { Pager } from '../../../src/monitor/pager';
import { analyseCluster, clusterUnchecked } from '../../../src/health/replication';
import type { ReplicationChannel, ServerReading } from '../../../src/model/observations';
import { MemoryStore } from '../../../src/state/store';

// The primary-down incident from readings to pages: health folds the replicas' symptoms into one
// PrimaryUnreachable, and the pager must then hold (not resolve) the replicas' firing alerts.

const server = (target: string, id: number, over: Partial<ServerReading> = {}): ServerReading => ({
  cluster: 'main',
  target,
  role: id === 1 ? 'primary' : 'replica',
  host: `10.0.0.${id}`,
  port: 3306,
  reachable: true,
  probeMs: 1,
  flavor: 'mariadb',
  version: '10.11.19-MariaDB',
  serverId: id,
  serverUuid: null,
  readOnly: id !== 1,
  channels: id === 1 ? [] : [channel()],
  gtidExecuted: '0-1-100',
  grants: { excess: [] },
  ...over,
});
const dead = server('main-primary', 1, { reachable: false, probeMs: 1000, error: { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 10.0.0.1:3306' } });
const lost = channel({ ioRunning: false, ioState: 'Connecting', ioErrno: 2003, ioError: "Can't connect to server on '10.0.0.1'", secondsBehind: null });

type Topology = { primary: ServerReading; r1: Partial<ReplicationChannel>; r2: Partial<ReplicationChannel> };
const healthy: Topology = { primary: server('main-primary', 1), r1: {}, r2: {} };
const r1Lagging: Topology = { ...healthy, r1: { secondsBehind: 40 } };
const primaryDown: Topology = { primary: dead, r1: lost, r2: lost };

/** The pages, each with the sample that sent it. */
async function incident(samples: Topology[], recoveryMs = 0): Promise<string[]> {
  const pages: Array<Page & { n: number }> = [];
  let n = 0;
  const pager = new Pager({
    store: new MemoryStore(),
    sinks: [{ name: 'sns', send: async (p) => void pages.push({ ...p, n }) }],
    policy: { resolveSamples: 2, repeatMs: 1_800_000 },
    silences: [],
    endpointOf: () => undefined,
    recoveryMs,
    recoveryQuietSamples: 3,
  });
  for (const [i, s] of samples.entries()) {
    n = i;
    const { findings } = analyseCluster({
      cluster: 'main',
      lag: { warningSeconds: 5, criticalSeconds: 30, sustainedSamples: 1 },
      lastPrimaryServerId: 1,
      primary: s.primary,
      replicas: [server('main-r1', 2, { channels: [channel(s.r1)] }), server('main-r2', 3, { channels: [channel(s.r2)] })],
      lagHistory: () => [],
    });
    await pager.process(findings, new Date(Date.parse('2026-11-22T10:00:00Z') + i * 10_000));
  }
  return pages.map((p) => `${p.n}: ${p.kind} ${p.code} ${p.target}`);
}

describe('a dead primary, from readings to pages', () => {
  it('is one FIRING and one RESOLVED when its replicas were healthy before', async () => {
    expect(await incident([healthy, primaryDown, primaryDown, primaryDown, healthy, healthy, healthy])).toEqual([
      '2: firing PrimaryUnreachable main-primary',
      '5: resolved PrimaryUnreachable main-primary',
    ]);
  });

  it("holds a replica's firing lag alert while the primary is down, and resolves it once all is well again", async () => {
    // The lag alert stays held until the primary's incident is over (resolved at 6), then clears.
    expect(await incident([r1Lagging, primaryDown, primaryDown, primaryDown, primaryDown, healthy, healthy, healthy, healthy])).toEqual([
      '0: firing ReplicaLagging main-r1',
      '2: firing PrimaryUnreachable main-primary',
      '6: resolved PrimaryUnreachable main-primary',
      '8: resolved ReplicaLagging main-r1',
    ]);
  });
});

describe('a dead primary that comes back', () => {
  // Back, but r1's IO thread still waits for its next connect retry.
  const back: Topology = { primary: server('main-primary', 1), r1: lost, r2: {} };
  const times = (t: Topology, n: number) => Array.from({ length: n }, () => t);

  it("holds its replicas' reconnect as part of the incident (alerts.recoverySeconds), then lifts the hold once they are well", async () => {
    const samples = [healthy, ...times(primaryDown, 3), ...times(back, 4), ...times(healthy, 3), ...times(back, 3)];
    expect(await incident(samples, 120_000)).toEqual([
      '2: firing PrimaryUnreachable main-primary',
      '5: resolved PrimaryUnreachable main-primary',
      // Lifted after three quiet samples (8-10): an IO error after that is an incident of its own.
      '12: firing ReplicaIoError main-r1',
    ]);
    // Without the hold, the reconnecting replica was paged the moment the primary resolved.
    expect((await incident(samples, 0)).find((p) => p.endsWith('firing ReplicaIoError main-r1'))).toMatch(/^[67]: /);
  });

  it('pages a replica that is still not back when the hold ends: that is its own fault', async () => {
    const pages = await incident([healthy, ...times(primaryDown, 3), ...times(back, 16)], 60_000);
    expect(pages.slice(0, 2)).toEqual(['2: firing PrimaryUnreachable main-primary', '5: resolved PrimaryUnreachable main-primary']);
    // The hold runs 60 s from the resolve at sample 5 (samples 10 s apart): the IO error pages after it.
    expect(pages[2]).toMatch(/^1[12]: firing ReplicaIoError main-r1$/);
  });
});

describe('a cluster whose password cannot be read', () => {
  it("holds the cluster's firing alerts while it is not checked: a warning fires, nothing resolves unseen", async () => {
    const pages: string[] = [];
    const pager = new Pager({
      store: new MemoryStore(),
      sinks: [{ name: 'sns', send: async (p) => void pages.push(`${p.kind} ${p.code} ${p.target}`) }],
      policy: { resolveSamples: 2, repeatMs: 1_800_000 },
      silences: [],
      endpointOf: () => undefined,
    });
    const at = (i: number) => new Date(Date.parse('2026-11-22T10:00:00Z') + i * 10_000);
    const lagging = analyseCluster({
      cluster: 'main',
      lag: { warningSeconds: 5, criticalSeconds: 30, sustainedSamples: 1 },
      primary: server('main-primary', 1),
      replicas: [server('main-r1', 2, { channels: [channel({ secondsBehind: 40 })] })],
      lagHistory: () => [],
    }).findings;
    const blind = [clusterUnchecked('main', 'main-primary', 'environment variable DB_PW is not set (password env:DB_PW)')];
    for (const [i, findings] of [lagging, blind, blind, blind].entries()) await pager.process(findings, at(i));
    expect(pages).toEqual(['firing ReplicaLagging main-r1', 'firing ClusterUnchecked main-primary']);
    for (const [i, findings] of [lagging, [], [], []].entries()) await pager.process(findings, at(4 + i));
    expect(pages.slice(2)).toEqual(['resolved ClusterUnchecked main-primary', 'resolved ReplicaLagging main-r1']);
  });
});

describe('a frozen primary (SIGSTOP) with a heartbeat, from readings to pages', () => {
  // Samples 1 s apart, the writer writing every second, staleSeconds 4. From sample 3 the primary
  // is frozen: it accepts nothing, and its replicas' IO threads still say Yes (slave_net_timeout
  // is far off), but their copy of its heartbeat row stays at the last write, second 2.
  it('pages one critical PrimaryUnreachable within staleSeconds plus two samples: no monitor-path warning, no lag', async () => {
    const pages: string[] = [];
    const pager = new Pager({
      store: new MemoryStore(),
      sinks: [{ name: 'sns', send: async (p) => void pages.push(`${n}: ${p.kind} ${p.severity} ${p.code} ${p.target}`) }],
      policy: { resolveSamples: 2, repeatMs: 1_800_000 },
      silences: [],
      endpointOf: () => undefined,
    });
    let n = 0;
    const frozen = server('main-primary', 1, {
      reachable: false,
      serverId: undefined,
      probeMs: 1000,
      error: { code: 'ETIMEDOUT', message: 'connect ETIMEDOUT' },
    });
    for (n = 0; n < 12; n++) {
      const up = n < 3;
      const lastWrite = up ? n : 2;
      const copy = [{ serverId: 1, writtenAt: lastWrite, ageSeconds: n - lastWrite }];
      const { findings } = analyseCluster({
        cluster: 'main',
        lag: { warningSeconds: 3, criticalSeconds: 30, sustainedSamples: 1 },
        heartbeat: { staleSeconds: 4 },
        lastPrimaryServerId: 1,
        // What ReplicationChecker keeps: the outage began with the first failing sample, at 3 s.
        ...(up ? {} : { primaryLost: { at: 3000, writerRunning: true } }),
        primary: up ? server('main-primary', 1, { heartbeat: [{ serverId: 1, writtenAt: n, ageSeconds: 0 }] }) : frozen,
        replicas: [server('main-r1', 2, { heartbeat: copy, heartbeatReadAt: n * 1000 }), server('main-r2', 3, { heartbeat: copy, heartbeatReadAt: n * 1000 })],
        lagHistory: () => [],
      });
      await pager.process(findings, new Date(Date.parse('2026-11-22T10:00:00Z') + n * 1000));
    }
    // Stale from sample 7 (copies 5 s old, over 4), paged at the second such sample.
    expect(pages).toEqual(['8: firing critical PrimaryUnreachable main-primary']);
  });
});

describe("an Aurora reader's LagUnknown when its writer dies", () => {
  const reader = (over: Partial<ServerReading> = {}) => server('aurora-r1', 2, { flavor: 'mysql', channels: [], readOnly: false, ...over });
  it('is held while the writer is down (folded into its page), not paged RESOLVED', async () => {
    const pages: string[] = [];
    let n = 0;
    const pager = new Pager({
      store: new MemoryStore(),
      sinks: [{ name: 'sns', send: async (p) => void pages.push(`${n}: ${p.kind} ${p.code} ${p.target}`) }],
      policy: { resolveSamples: 2, repeatMs: 1_800_000 },
      silences: [],
      endpointOf: () => undefined,
    });
    const writer = server('main-primary', 1, { flavor: 'mysql' });
    const unknown = () => ({ error: 'no AuroraReplicaLag datapoint for DB instance aurora-r1 in the last 5 minutes' });
    const known = () => ({ lagSeconds: 0.02, at: new Date(), earlierSeconds: [] });
    const samples = [...Array(3).fill([writer, unknown]), ...Array(4).fill([dead, unknown]), ...Array(5).fill([writer, known])] as Array<
      [ServerReading, () => object]
    >;
    for (const [i, [primary, lag]] of samples.entries()) {
      n = i;
      const { findings } = analyseCluster({
        cluster: 'main',
        lag: { warningSeconds: 5, criticalSeconds: 30, sustainedSamples: 1 },
        primary,
        replicas: [reader()],
        lagHistory: () => [],
        aurora: { lag: lag as never },
      });
      await pager.process(findings, new Date(Date.parse('2026-11-22T10:00:00Z') + i * 10_000));
    }
    // LagUnknown fires after its 3 samples; the writer's death holds it until that incident has
    // resolved (8), and it then resolves with the reader's lag known again (2 clear samples).
    expect(pages).toEqual([
      '2: firing LagUnknown aurora-r1',
      '4: firing PrimaryUnreachable main-primary',
      '8: resolved PrimaryUnreachable main-primary',
      '10: resolved LagUnknown aurora-r1',
    ]);
  });
});
