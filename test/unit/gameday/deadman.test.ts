import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { deadManAlarm, evaluateAlarm, evaluateDeadMan, type Datapoint } from '../../../src/gameday/deadman';

const yml = readFileSync(new URL('../../../serverless.yml', import.meta.url), 'utf8');
const alarm = deadManAlarm(yml, 'gameday');
const SCALE = 30; // 60 s periods -> 2 s
const completed = (check: string, at: number): Datapoint => ({ metric: 'ChecksCompleted', dimensions: { Check: check }, at, value: 1 });
/** One ChecksCompleted per check every second from `from` to `to`. */
const reporting = (from: number, to: number, checks = ['replication', 'memcache', 'network']) => {
  const out: Datapoint[] = [];
  for (let t = from; t < to; t += 1000) for (const c of checks) out.push(completed(c, t));
  return out;
};

describe('the dead-man alarm, read from serverless.yml', () => {
  it('is the composite over the three per-check ChecksCompleted alarms, as deployed', () => {
    expect(alarm.name).toBe('replwatch-gameday-monitor-not-reporting');
    expect(alarm.children.map((c) => c.dimensions.Check).sort()).toEqual(['memcache', 'network', 'replication']);
    for (const c of alarm.children) {
      expect(c).toMatchObject({
        metric: 'ChecksCompleted',
        periodSeconds: 60,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        threshold: 1,
        comparison: 'LessThanThreshold',
        treatMissingData: 'breaching',
      });
    }
  });

  it('says clearly when the template has no such alarm', () => {
    expect(() => deadManAlarm('service: x\nresources:\n  Resources: {}\n', 'dev')).toThrow(/no dead-man composite alarm/);
  });

  it('stays OK while every check reports, and goes to ALARM after three silent periods of one check', () => {
    const t0 = 1_000_000_000_000;
    const points = reporting(t0, t0 + 20_000);
    expect(evaluateDeadMan(alarm, points, t0 + 20_000, SCALE)).toBe('OK');
    // The network check stops at +20 s; the others go on.
    const more = [...points, ...reporting(t0 + 20_000, t0 + 40_000, ['replication', 'memcache'])];
    expect(evaluateDeadMan(alarm, more, t0 + 23_000, SCALE)).toBe('OK');
    expect(evaluateDeadMan(alarm, more, t0 + 28_000, SCALE)).toBe('ALARM');
  });

  it('needs all three periods to breach: two silent periods are not enough', () => {
    const rule = alarm.children[0]!;
    const t0 = 1_000_000_000_000; // a multiple of the 2 s period
    const points = reporting(t0, t0 + 10_000, [rule.dimensions.Check!]);
    // Periods [10,12) and [12,14) are empty, [8,10) is not.
    expect(evaluateAlarm(rule, points, t0 + 14_000, SCALE)).toBe('OK');
    expect(evaluateAlarm(rule, points, t0 + 16_000, SCALE)).toBe('ALARM');
  });

  it('applies treatMissingData: notBreaching never alarms on silence', () => {
    const rule = { ...alarm.children[0]!, treatMissingData: 'notBreaching' as const };
    expect(evaluateAlarm(rule, [], 1_000_000_000_000, SCALE)).toBe('OK');
    expect(evaluateAlarm({ ...rule, treatMissingData: 'breaching' }, [], 1_000_000_000_000, SCALE)).toBe('ALARM');
  });
});
