import { describe, expect, it } from 'vitest';
import { replicaLag } from '../../../src/health/lag';
import type { ReplicationChannel } from '../../../src/model/observations';

const channel = { sourceServerId: 7, secondsBehind: 4 } as ReplicationChannel;

describe('replicaLag from the heartbeat, by the primary clock', () => {
  it("is the primary's own ts less the replica's copy of it, whatever the servers' clocks say of their age", () => {
    const copy = { serverId: 7, writtenAt: 1_000, ageSeconds: 33.5 }; // the replica's clock is 30 s ahead
    const own = { serverId: 7, writtenAt: 1_003.25, ageSeconds: 0.25 };
    expect(
      replicaLag({ channel, primaryServerId: 7, replicaHeartbeat: [copy, { serverId: 9, writtenAt: 1, ageSeconds: 1e6 }], primaryHeartbeat: [own] }),
    ).toEqual({ lagSeconds: 3.25, lagSource: 'heartbeat' });
  });

  it('adds no lag while the writer is stalled: both rows hold the same ts', () => {
    const row = { serverId: 7, writtenAt: 1_000, ageSeconds: 120 };
    expect(replicaLag({ channel, primaryServerId: 7, replicaHeartbeat: [{ ...row, ageSeconds: 120.4 }], primaryHeartbeat: [row] }).lagSeconds).toBe(0);
  });

  it("falls back to the copy's age by the replica's clock when the primary cannot be read", () => {
    expect(
      replicaLag({ channel, primaryServerId: null, replicaHeartbeat: [{ serverId: 7, writtenAt: 1_000, ageSeconds: 2.25 }], primaryHeartbeat: undefined }),
    ).toEqual({ lagSeconds: 2.25, lagSource: 'heartbeat' });
  });
});

describe('replicaLag when the two reads are apart', () => {
  const copy = { serverId: 7, writtenAt: 1_000, ageSeconds: 0.2 };
  it("takes off the time between the replica's read and the primary's: a slow sibling adds nothing", () => {
    // The primary's row was read 7 s after this replica's copy (the sample waited on a blackholed
    // sibling); the writer went on writing meanwhile.
    const own = { serverId: 7, writtenAt: 1_007.1, ageSeconds: 0.1 };
    expect(replicaLag({ channel, primaryServerId: 7, replicaHeartbeat: [copy], primaryHeartbeat: [own], replicaReadAt: 50, primaryReadAt: 7_050 })).toEqual({
      lagSeconds: 0.1,
      lagSource: 'heartbeat',
    });
  });
  it('still reports real lag whichever was read first', () => {
    const own = { serverId: 7, writtenAt: 1_009, ageSeconds: 0.1 };
    // Read 2 s before the replica: the replica's copy at that moment was 11 s behind.
    expect(
      replicaLag({ channel, primaryServerId: 7, replicaHeartbeat: [copy], primaryHeartbeat: [own], replicaReadAt: 5_000, primaryReadAt: 3_000 }).lagSeconds,
    ).toBe(11);
  });
});
