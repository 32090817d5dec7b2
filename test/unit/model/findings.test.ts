import { describe, expect, it } from 'vitest';
import { isProvisional, type Finding } from '../../../src/model/findings';

const base = { severity: 'critical', cluster: 'main', target: 'main-primary', summary: 's' } as const;

describe('finding details that decisions read', () => {
  it('are typed by code: a rule cannot write them in another shape (checked by tsc in npm test)', () => {
    const broken: Finding = { ...base, code: 'ReplicationBroken', details: { lastSqlErrno: 1950, lastSqlError: 'out of order' } };
    // @ts-expect-error lastSqlErrno is the server's number, not its text
    const wrong: Finding = { ...base, code: 'ReplicationBroken', details: { lastSqlErrno: '1950' } };
    // @ts-expect-error a verdict is `undecided` or absent
    const unsure: Finding = { ...base, code: 'PrimaryUnreachable', details: { verdict: 'maybe' } };
    expect([broken, wrong, unsure].map((f) => f.code)).toEqual(['ReplicationBroken', 'ReplicationBroken', 'PrimaryUnreachable']);
  });

  it('hold a finding back only where its code says undecided means provisional', () => {
    expect(isProvisional({ ...base, code: 'PrimaryUnreachable', details: { verdict: 'undecided' } })).toBe(true);
    expect(isProvisional({ ...base, code: 'PrimaryUnreachable', details: {} })).toBe(false);
    expect(isProvisional({ ...base, code: 'MemcacheSlow', details: { verdict: 'undecided' } })).toBe(false);
  });
});
