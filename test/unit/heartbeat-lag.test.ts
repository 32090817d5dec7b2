import { describe, expect, it } from 'vitest';
import { replicaLag } from '../../src/health/lag';
import type { ReplicationChannel } from '../../src/model/observations';

const channel = { sourceServerId: 7, secondsBehind: 4 } as ReplicationChannel;

describe('replicaLag from the heartbeat, by the primary clock', () => {
  it("is the primary's own ts less the replica's copy of it, whatever the servers' clocks say of their age", () => {
    const copy = { serverId: 7, writtenAt: 1_000, ageSeconds: 33.5 }; // the replica's clock is 30 s ahead
    const own = { serverId: 7, writtenAt: 1_003.25, ageSeconds: 0.25 };
    expect(replicaLag({ channel, primaryServerId: 7, replicaHeartbeat: [copy, { serverId: 9, writtenAt: 1, ageSeconds: 1e6 }], primaryHeartbeat: [own] })).toEqual({ lagSeconds: 3.25, lagSource: 'heartbeat' });
  });

  it('adds no lag while the writer is stalled: both rows hold the same ts', () => {
    const row = { serverId: 7, writtenAt: 1_000, ageSeconds: 120 };
    expect(replicaLag({ channel, primaryServerId: 7, replicaHeartbeat: [{ ...row, ageSeconds: 120.4 }], primaryHeartbeat: [row] }).lagSeconds).toBe(0);
  });

  it("falls back to the copy's age by the replica's clock when the primary cannot be read", () => {
    expect(replicaLag({ channel, primaryServerId: null, replicaHeartbeat: [{ serverId: 7, writtenAt: 1_000, ageSeconds: 2.25 }], primaryHeartbeat: undefined })).toEqual({ lagSeconds: 2.25, lagSource: 'heartbeat' });
  });
});
