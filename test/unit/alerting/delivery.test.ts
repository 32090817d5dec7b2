import { describe, expect, it } from 'vitest';
import type { AlertState, AlertWrite } from '../../../src/alerting/alert';
import { claim, leased, recipients, samePage, settle, told } from '../../../src/alerting/delivery';

const SINKS = ['sns', 'jsonl'];
const AT = '2026-11-22T10:01:00.000Z';
const LEASE = '2026-11-22T10:01:30.000Z';
const firing: AlertState = {
  key: 'ReplicationBroken|main|main-r1',
  status: 'firing',
  severity: 'critical',
  finding: { code: 'ReplicationBroken', severity: 'critical', cluster: 'main', target: 'main-r1', summary: '1062', details: {} },
  firstSeenAt: '2026-11-22T10:00:00.000Z',
  firedAt: '2026-11-22T10:00:00.000Z',
  lastPagedAt: '2026-11-22T10:00:00.000Z',
  consecutiveFound: 1,
  consecutiveClear: 0,
  version: 2,
};
const owing = (undelivered: AlertState['undelivered']): AlertState => ({ ...firing, undelivered });
const resolve = (prev: AlertState): AlertWrite => ({
  key: prev.key,
  alert: null,
  expectedVersion: prev.version,
  page: 'resolved',
  paged: { ...prev, consecutiveClear: 2, lastPagedAt: AT },
});
const repeat = (prev: AlertState): AlertWrite => {
  const paged = { ...prev, lastPagedAt: AT, version: prev.version + 1 };
  return { key: prev.key, alert: paged, expectedVersion: prev.version, page: 'repeat', paged };
};

describe('who is told what', () => {
  it('counts as told the sinks a firing page reached, and for a resolving alert those still owed its RESOLVED', () => {
    expect(told(undefined, SINKS)).toEqual([]);
    expect(told({ ...firing, status: 'pending' }, SINKS)).toEqual([]);
    expect(told(firing, SINKS)).toEqual(SINKS);
    expect(told(owing({ kind: 'firing', sinks: ['sns'], at: AT, unaware: ['sns'] }), SINKS)).toEqual(['jsonl']);
    expect(told(owing({ kind: 'repeat', sinks: ['sns'], at: AT }), SINKS)).toEqual(SINKS);
    expect(told(owing({ kind: 'resolved', sinks: ['sns'], at: AT }), SINKS)).toEqual(['sns']);
  });

  it('sends a RESOLVED only to sinks told it fired, a repeat to all, and a comeback to those that took the RESOLVED', () => {
    const missed = owing({ kind: 'firing', sinks: ['sns'], at: AT, unaware: ['sns'] });
    expect(recipients(resolve(missed), missed, SINKS)).toEqual(['jsonl']);
    const nobody = owing({ kind: 'firing', sinks: SINKS, at: AT, unaware: SINKS });
    expect(recipients(resolve(nobody), nobody, SINKS)).toEqual([]);
    expect(recipients(repeat(missed), missed, SINKS)).toEqual(SINKS);
    const half = owing({ kind: 'resolved', sinks: ['sns'], at: AT });
    expect(recipients({ key: firing.key, alert: firing, expectedVersion: 2, page: 'firing', paged: firing }, half, SINKS)).toEqual(['jsonl']);
    expect(recipients({ key: firing.key, alert: firing, expectedVersion: 2 }, firing, SINKS)).toEqual([]);
  });
});

describe('claim and settle', () => {
  it('records a RESOLVED as owed on the alert it keeps, and strikes it off until the alert goes', () => {
    const w = claim(resolve(firing), firing, SINKS, SINKS, AT, LEASE);
    expect(w).toMatchObject({ expectedVersion: 2, alert: { version: 3, undelivered: { kind: 'resolved', sinks: SINKS, at: AT, leaseUntil: LEASE } } });
    const half = settle(w.alert!, ['jsonl'], SINKS)!;
    expect(half).toMatchObject({ version: 4, undelivered: { kind: 'resolved', sinks: ['sns'], at: AT } });
    expect(half.undelivered!.leaseUntil).toBeUndefined();
    expect(settle(half, ['sns'], SINKS)).toBeNull();
  });

  it('with nobody to tell, is the plain write: a resolve deletes', () => {
    expect(claim(resolve(firing), firing, [], SINKS, AT, LEASE)).toEqual({ key: firing.key, alert: null, expectedVersion: 2 });
  });

  it('carries over who never heard it fired, and forgets sinks no longer configured', () => {
    const missed = owing({ kind: 'firing', sinks: SINKS, at: '2026-11-22T10:00:00.000Z', unaware: SINKS });
    const w = claim(repeat(missed), missed, SINKS, SINKS, AT, LEASE);
    expect(w.alert!.undelivered).toEqual({ kind: 'repeat', sinks: SINKS, at: AT, unaware: SINKS, leaseUntil: LEASE });
    expect(settle(w.alert!, ['jsonl'], SINKS)!.undelivered).toEqual({ kind: 'repeat', sinks: ['sns'], at: AT, unaware: ['sns'] });
    expect(settle(w.alert!, ['jsonl'], ['jsonl'])!.undelivered).toBeUndefined();
  });

  it('leases a retry with a new version, and names a page by its kind and time', () => {
    const owed = owing({ kind: 'firing', sinks: ['sns'], at: AT });
    expect(leased(owed, LEASE)).toMatchObject({ version: 3, undelivered: { kind: 'firing', sinks: ['sns'], at: AT, leaseUntil: LEASE } });
    expect(samePage(owed.undelivered, { kind: 'firing', sinks: [], at: AT })).toBe(true);
    expect(samePage(owed.undelivered, { kind: 'repeat', sinks: ['sns'], at: AT })).toBe(false);
    expect(samePage(owed.undelivered, undefined)).toBe(false);
  });
});

describe('a RESOLVED sent by another process than the one that paged the FIRING', () => {
  // The monitor paged to its console and its --pages file; the runbook, which resolves the
  // rebuild's alert when it finishes, has a console and another file.
  const MONITOR = ['console', 'jsonl:/srv/watch-pages.jsonl'];
  const RUNBOOK = ['console', 'jsonl:/srv/.replwatch/pages.jsonl'];
  const paged = settle(owing({ kind: 'firing', sinks: MONITOR, at: AT, unaware: MONITOR }), MONITOR, MONITOR)!;

  it("records who took the FIRING, and owes the RESOLVED to them, not to the resolver's sinks that never heard of it", () => {
    expect(paged.toldSinks).toEqual(MONITOR);
    expect(recipients(resolve(paged), paged, RUNBOOK)).toEqual(MONITOR);
  });

  it("keeps the monitor's file owed once the runbook's console took it, for the monitor to deliver on its next sample", () => {
    const w = claim(resolve(paged), paged, MONITOR, RUNBOOK, AT, LEASE);
    const left = settle(w.alert!, ['console'], RUNBOOK, new Date(AT))!;
    expect(left.undelivered).toMatchObject({ kind: 'resolved', sinks: ['jsonl:/srv/watch-pages.jsonl'] });
    expect(settle(left, ['jsonl:/srv/watch-pages.jsonl'], MONITOR, new Date(AT))).toBeNull();
  });

  it('forgets a told sink nobody has any more a day after the RESOLVED', () => {
    const w = claim(resolve(paged), paged, MONITOR, RUNBOOK, AT, LEASE);
    expect(settle(w.alert!, ['console'], RUNBOOK, new Date(Date.parse(AT) + 25 * 3600_000))).toBeNull();
  });
});
