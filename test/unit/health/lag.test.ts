import { describe, expect, it } from 'vitest';
import { replicaLag, sustainedLagSeverity } from '../../../src/health/lag';
import type { ReplicationChannel } from '../../../src/model/observations';

const t = { warningSeconds: 5, criticalSeconds: 30, sustainedSamples: 3 };
const channel = { sourceServerId: 7, secondsBehind: 4 } as ReplicationChannel;

describe('sustainedLagSeverity', () => {
  it('needs a full window of samples', () => {
    expect(sustainedLagSeverity([50, 50], t)).toBeNull();
    expect(sustainedLagSeverity([50, 50, 50], t)).toBe('critical');
  });
  it('takes the level that held for the whole window, newest last', () => {
    expect(sustainedLagSeverity([1, 6, 40, 40], t)).toBe('warning');
    expect(sustainedLagSeverity([40, 40, 40, 4], t)).toBeNull();
    expect(sustainedLagSeverity([5, 5, 5], t)).toBe('warning');
  });
  it('treats an unknown sample as breaking the window', () => {
    expect(sustainedLagSeverity([40, null, 40], t)).toBeNull();
  });
});

describe('replicaLag', () => {
  it("uses the configured primary's heartbeat row: the primary's ts less the replica's copy of it", () => {
    expect(
      replicaLag({
        channel,
        primaryServerId: 7,
        replicaHeartbeat: [
          { serverId: 7, writtenAt: 100, ageSeconds: 3.5 },
          { serverId: 9, writtenAt: 1, ageSeconds: 100 },
        ],
        primaryHeartbeat: [{ serverId: 7, writtenAt: 103, ageSeconds: 0.5 }],
      }),
    ).toEqual({
      lagSeconds: 3,
      lagSource: 'heartbeat',
    });
  });
  it('falls back to the channel source id, and to the row age alone without the primary', () => {
    expect(
      replicaLag({ channel, primaryServerId: null, replicaHeartbeat: [{ serverId: 7, writtenAt: 100, ageSeconds: 2.25 }], primaryHeartbeat: undefined }),
    ).toEqual({ lagSeconds: 2.25, lagSource: 'heartbeat' });
  });
  it('never reports negative lag (a copy read newer than the primary row it was read after)', () => {
    expect(
      replicaLag({
        channel,
        primaryServerId: 7,
        replicaHeartbeat: [{ serverId: 7, writtenAt: 103, ageSeconds: 0.1 }],
        primaryHeartbeat: [{ serverId: 7, writtenAt: 100, ageSeconds: 0.4 }],
      }).lagSeconds,
    ).toBe(0);
  });
  it('uses Seconds_Behind when there is no heartbeat row, and null when the server does not know', () => {
    expect(replicaLag({ channel, primaryServerId: 7, replicaHeartbeat: [], primaryHeartbeat: [] })).toEqual({ lagSeconds: 4, lagSource: 'seconds_behind' });
    expect(replicaLag({ channel: { ...channel, secondsBehind: null }, primaryServerId: 7, replicaHeartbeat: undefined, primaryHeartbeat: undefined })).toEqual({
      lagSeconds: null,
      lagSource: null,
    });
  });
});
