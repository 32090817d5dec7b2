import { describe, expect, it } from 'vitest';
import { findingsOf, severityCounts } from '../../../src/cli/watch';
import type { Finding } from '../../../src/model/findings';

const f = (code: Finding['code'], severity: Finding['severity'], target: string): Finding => ({
  code,
  severity,
  cluster: 'main',
  target,
  summary: 's',
  details: {},
});

describe("watch's sample line", () => {
  it('counts every finding by severity whatever paging did, and says how many of each were held', () => {
    const broken = f('ReplicationBroken', 'critical', 'main-r1');
    const lag = f('ReplicaLagging', 'warning', 'main-r2');
    expect(severityCounts([broken, lag], new Map())).toBe('1 critical, 1 warning');
    expect(severityCounts([broken, lag], new Map([['ReplicationBroken|main|main-r1', 'silenced until later: x']]))).toBe('1 critical (1 held), 1 warning');
    expect(severityCounts([], new Map([['ReplicationBroken|main|main-r1', 'inhibited by x']]))).toBe('0 critical, 0 warning');
  });

  it("includes the findings the pager read from the state (a dead rebuild) and the store's outage, once each", () => {
    const broken = f('ReplicationBroken', 'critical', 'main-r1');
    const dead = f('RebuildFailed', 'critical', 'main-r1');
    const unreadable = { ...f('StateUnreadable', 'critical', '/s.json'), cluster: 'replwatch' };
    expect(findingsOf([broken], {}).map((x) => x.code)).toEqual(['ReplicationBroken']);
    expect(
      findingsOf([broken], { fromState: [dead, broken], unreadable })
        .map((x) => x.code)
        .sort(),
    ).toEqual(['RebuildFailed', 'ReplicationBroken', 'StateUnreadable']);
  });
});
