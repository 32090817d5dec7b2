import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AlertState } from '../../../src/alerting/alert';
import { FileStore } from '../../../src/state/file';

const alert = (target: string): AlertState => ({
  key: `ReplicationBroken|main|${target}`,
  status: 'pending',
  severity: 'critical',
  finding: { code: 'ReplicationBroken', severity: 'critical', cluster: 'main', target, summary: '1062', details: {} },
  firstSeenAt: '2026-11-22T10:00:00.000Z',
  consecutiveFound: 1,
  consecutiveClear: 0,
  version: 1,
});

describe('FileStore lock', () => {
  it('lets exactly one of several takers have a stale lock at a time: every change lands, none is lost or refused', async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    for (let round = 0; round < 20; round++) {
      const dir = mkdtempSync(join(tmpdir(), 'rw-lock-'));
      const file = join(dir, 'state.json');
      // Left by a process that died, or (every other round) held for a minute by one that stalled.
      writeFileSync(`${file}.lock`, round % 2 === 0 ? `${dead} left-behind` : `${process.pid} stalled`);
      if (round % 2 === 1) utimesSync(`${file}.lock`, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
      const keys = Array.from({ length: 6 }, (_, i) => `k${i}`);
      // Each its own store, as separate processes would be: all find the dead lock at once.
      const landed = await Promise.all(keys.map((k) => new FileStore(file).write({ key: alert(k).key, alert: alert(k), expectedVersion: null })));
      expect(landed).toEqual(keys.map(() => true));
      expect([...(await new FileStore(file).loadAlerts()).keys()].sort()).toEqual(keys.map((k) => alert(k).key));
      expect(readdirSync(dir)).toEqual(['state.json']);
    }
  });
});
