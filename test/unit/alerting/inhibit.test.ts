import { describe, expect, it } from 'vitest';
import { inhibitions } from '../../../src/alerting/inhibit';
import type { Finding } from '../../../src/model/findings';

const f = (code: Finding['code'], target: string, details: Record<string, unknown> = {}): Finding => ({
  code,
  severity: 'critical',
  cluster: 'main',
  target,
  summary: code,
  details,
});

describe('an errant transaction and the strict-mode break it causes', () => {
  it('are one incident: the 1950 break on the same replica is folded into ErrantTransactions', () => {
    const errant = f('ErrantTransactions', 'main-r2');
    const broken = f('ReplicationBroken', 'main-r2', { lastSqlErrno: 1950 });
    expect(inhibitions([errant, broken], () => undefined)).toEqual([{ key: 'ReplicationBroken|main|main-r2', by: 'ErrantTransactions|main|main-r2' }]);
  });

  it('but not another SQL error, nor a break on another replica', () => {
    const errant = f('ErrantTransactions', 'main-r2');
    expect(
      inhibitions(
        [errant, f('ReplicationBroken', 'main-r2', { lastSqlErrno: 1062 }), f('ReplicationBroken', 'main-r1', { lastSqlErrno: 1950 })],
        () => undefined,
      ),
    ).toEqual([]);
  });
});
