import { describe, expect, it } from 'vitest';
import type { Publish, ReceivedPage } from '../../../src/gameday/fakeSns';
import { score, type ScenarioRun } from '../../../src/gameday/scorecard';

const T = 1_800_000_000_000;
const run = (over: Partial<ScenarioRun> = {}): ScenarioRun => ({
  name: 'replica-stopped',
  fault: 'STOP SLAVE',
  expected: { code: 'ReplicationStopped', target: 'r2' },
  injectedAt: T,
  recoverAt: T + 3000,
  endedAt: T + 10_000,
  ...over,
});
const page = (kind: ReceivedPage['kind'], at: number, code = 'ReplicationStopped', target = 'r2'): ReceivedPage => ({
  kind,
  at,
  code,
  target,
  subject: `[${kind}] ${code} ${target}`,
});
const baseline = { from: T - 6000, to: T - 1000 };

describe('the game day scorecard', () => {
  it('scores detection and recovery from the pages received: one firing, one resolved passes', () => {
    const card = score([run()], baseline, [], [page('firing', T + 1500), page('resolved', T + 5000)]);
    expect(card.scenarios[0]).toMatchObject({
      detected: true,
      detectSeconds: 1.5,
      recovered: true,
      recoverSeconds: 2,
      pages: { firing: 1, resolved: 1, repeat: 0 },
      passed: true,
    });
    expect(card.scenarios[0]!.pageLog).toEqual(['+1.5 s [firing] ReplicationStopped r2', '+5.0 s [resolved] ReplicationStopped r2']);
    expect(card).toMatchObject({ falsePages: 0, passed: true });
  });

  it('fails a scenario that paged twice for one incident, even though it detected and recovered', () => {
    const card = score(
      [run()],
      baseline,
      [],
      [page('firing', T + 1000), page('firing', T + 1000, 'ReplicationBroken'), page('resolved', T + 5000), page('resolved', T + 5000, 'ReplicationBroken')],
    );
    expect(card.scenarios[0]).toMatchObject({ detected: true, recovered: true, pages: { firing: 2, resolved: 2 }, passed: false });
    expect(card.passed).toBe(false);
  });

  it('scores a compound fault per incident: each pages once and resolves once, and a missing one fails it', () => {
    const compound = run({ alsoExpected: [{ code: 'ReplicaUnreachable', target: 'r1' }] });
    const both = [
      page('firing', T + 1000),
      page('firing', T + 2000, 'ReplicaUnreachable', 'r1'),
      page('resolved', T + 4000),
      page('resolved', T + 6000, 'ReplicaUnreachable', 'r1'),
    ];
    const card = score([compound], baseline, [], both);
    expect(card.scenarios[0]).toMatchObject({ detected: true, recovered: true, pages: { firing: 2, resolved: 2 }, passed: true });
    expect(card.scenarios[0]!.incidents).toEqual([
      { code: 'ReplicationStopped', target: 'r2', detectSeconds: 1, recoverSeconds: 1 },
      { code: 'ReplicaUnreachable', target: 'r1', detectSeconds: 2, recoverSeconds: 3 },
    ]);
    const half = score([compound], baseline, [], [both[0]!, both[2]!]);
    expect(half.scenarios[0]).toMatchObject({ detected: false, recovered: false, passed: false });
  });

  it('does not count a page for another target, or a resolve sent before the repair began, as the expected one', () => {
    const card = score([run()], baseline, [], [page('firing', T + 1000, 'ReplicationStopped', 'r1'), page('resolved', T + 2000)]);
    expect(card.scenarios[0]).toMatchObject({ detected: false, detectSeconds: null, recovered: false, passed: false });
  });

  it('counts pages during the healthy baseline as false pages, and fails the drill on them', () => {
    const card = score([run()], baseline, [], [page('firing', T - 3000, 'MemcacheSlow', '127.0.0.1:1'), page('firing', T + 1000), page('resolved', T + 4000)]);
    expect(card.falsePages).toBe(1);
    expect(card.falsePageSubjects).toEqual(['[firing] MemcacheSlow 127.0.0.1:1']);
    expect(card.scenarios[0]!.passed).toBe(true);
    expect(card.passed).toBe(false);
  });

  it('reports the publishes the paging channel refused, and a drill error fails the scenario', () => {
    const refused: Publish = { at: T + 500, accepted: false, subject: 's', message: '{}', attributes: {} };
    const card = score(
      [run({ error: 'restore failed: boom' })],
      baseline,
      [refused, { ...refused, at: T + 20_000 }],
      [page('firing', T + 1000), page('resolved', T + 4000)],
    );
    expect(card.scenarios[0]).toMatchObject({ refusedPublishes: 1, passed: false, error: 'restore failed: boom' });
  });

  it('a skipped scenario neither passes on pages nor fails the drill', () => {
    const card = score([run({ skipped: 'needs root' })], baseline, [], []);
    expect(card.scenarios[0]).toMatchObject({ skipped: 'needs root', detected: false, passed: true });
    expect(card.passed).toBe(true);
  });
});
