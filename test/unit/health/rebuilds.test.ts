import { describe, expect, it } from 'vitest';
import type { Page } from '../../../src/alerting/page';
import { activeSilence } from '../../../src/alerting/silence';
import { pagerFor } from '../../../src/monitor/paging';
import { parseConfig } from '../../../src/config/load';
import { SecretResolver } from '../../../src/config/secrets';
import { heldByRebuild, rebuildFindings, rebuildSilenceId } from '../../../src/health/rebuilds';
import { CODES_BY_CHECK } from '../../../src/model/codes';
import type { Finding } from '../../../src/model/findings';
import { upgradeCheckpoint } from '../../../src/runbooks/checkpoint';
import { Lease } from '../../../src/runbooks/lease';
import { pageRebuild } from '../../../src/runbooks/paging';
import type { PageSink } from '../../../src/sinks/pages';
import { MemoryStore, type Lock } from '../../../src/state/store';
import { RunbookRefusal, LeaseLost } from '../../../src/runbooks/errors';

const t = (s: number) => new Date(Date.parse('2026-11-22T10:00:00Z') + s * 1000);
const checkpoint = { v: 2, replica: 'main-r1', position: '0-1-10', schemaDone: true, tablesDone: ['`app`.`a`'], step: 'copy rows' };
const lock = (o: Partial<Lock> = {}): Lock => ({
  owner: 'ann@bastion pid 7 #abc',
  startedAt: t(0).toISOString(),
  renewedAt: t(30).toISOString(),
  expiresAt: t(90).toISOString(),
  checkpoint,
  ...o,
});
const stopped: Finding = {
  code: 'ReplicationStopped',
  severity: 'warning',
  cluster: 'main',
  target: 'main-r1',
  summary: 'replication stopped with no error',
  details: {},
};
const config = parseConfig(
  JSON.stringify({ clusters: [{ name: 'main', primary: { host: 'p' }, replicas: [{ name: 'main-r1', host: 'r1' }], user: 'u' }] }),
  'main.json',
);

class RecordingSink implements PageSink {
  readonly pages: Page[] = [];
  constructor(readonly name: string) {}
  async send(page: Page): Promise<void> {
    this.pages.push(page);
  }
}

describe('a rebuild that died half-way', () => {
  it('stays one open incident while a run continues it: found while that live run holds the lock, gone once it ends', () => {
    const continuing = lock({ owner: 'bob@bastion pid 9 #def', checkpoint: { ...checkpoint, continues: 'ann@bastion pid 7 #abc' } });
    const [f] = rebuildFindings([{ name: 'rebuild/main', lock: continuing }], t(60));
    expect(f).toMatchObject({ code: 'RebuildFailed', severity: 'critical', target: 'main-r1' });
    expect(f!.summary).toContain('is being continued by bob@bastion pid 9 #def');
    expect(rebuildFindings([{ name: 'rebuild/main', lock: lock() }], t(60))).toEqual([]);
  });

  it('is a critical RebuildFailed on its replica once its lease lapsed, naming where it stopped and the resume command', () => {
    expect(rebuildFindings([{ name: 'rebuild/main', lock: lock() }], t(89))).toEqual([]);
    const [f] = rebuildFindings([{ name: 'rebuild/main', lock: lock() }], t(90), { program: 'replwatch', flags: '--config /etc/replwatch/prod.yml' });
    expect(f).toMatchObject({
      code: 'RebuildFailed',
      severity: 'critical',
      cluster: 'main',
      target: 'main-r1',
      runbook: 'replwatch runbook rebuild-replica --cluster main --replica main-r1 --config /etc/replwatch/prod.yml --execute --resume',
      details: { step: 'copy rows', tablesDone: 1, owner: 'ann@bastion pid 7 #abc', leaseEndedAt: t(90).toISOString() },
    });
    expect(f!.summary).toBe(
      `rebuild of main-r1 stopped unfinished at "copy rows": its run (ann@bastion pid 7 #abc) last renewed its lease at ${t(30).toISOString()} and was killed or crashed; 1 table(s) copied; the replica is left out of service`,
    );
    const failed = lock({ checkpoint: { ...checkpoint, failure: { step: 'catch up', message: '1045 Access denied', at: t(40).toISOString() } } });
    expect(rebuildFindings([{ name: 'rebuild/main', lock: failed }], t(90))[0]!.summary).toContain('failed at "catch up"');
    // Nothing to say without a checkpoint naming a replica (a cool-down lock, a damaged record).
    expect(rebuildFindings([{ name: 'rebuild/main', lock: lock({ checkpoint: { tablesDone: 3 } }) }], t(90))).toEqual([]);
    expect(rebuildFindings([{ name: 'autorebuild/main', lock: lock() }], t(90))).toEqual([]);
  });

  it('pages the resume command with the flags the dead run was given', () => {
    const flags = ' --donor main-r2 --user admin --password env:ADMIN_PW';
    const [f] = rebuildFindings([{ name: 'rebuild/main', lock: lock({ checkpoint: { ...checkpoint, flags } }) }], t(90));
    expect(f!.runbook).toBe(`replwatch runbook rebuild-replica --cluster main --replica main-r1 --execute${flags} --resume`);
  });

  it('reads as a sentence from a record that kept only its checkpoint (written by hand, half-damaged)', () => {
    const [f] = rebuildFindings([{ name: 'rebuild/main', lock: { checkpoint } as unknown as Lock }], t(90));
    expect(f!.summary).toBe(
      'rebuild of main-r1 stopped unfinished at "copy rows": its run (a run that left no name) last renewed its lease at an unknown time and was killed or crashed; 1 table(s) copied; the replica is left out of service',
    );
    expect(f!.details).toMatchObject({ owner: null, leaseEndedAt: null });
  });

  it('is paged by the replication check, once: the runbook fires it, the monitor continues it and holds what the replica shows, a finished rebuild resolves it', async () => {
    expect(CODES_BY_CHECK.replication.has('RebuildFailed')).toBe(true);
    const store = new MemoryStore();
    const sinks = [new RecordingSink('log'), new RecordingSink('sns')];
    const secrets = new SecretResolver();
    store.locks.set(
      'rebuild/main',
      lock({ expiresAt: t(40).toISOString(), checkpoint: { ...checkpoint, failure: { step: 'catch up', message: 'x', at: t(40).toISOString() } } }),
    );
    // The run's silence on its replica holds everything but its own RebuildFailed.
    await store.addSilence({
      id: 'rebuild/main/main-r1',
      cluster: 'main',
      target: 'main-r1',
      exceptCodes: ['RebuildFailed'],
      from: t(0).toISOString(),
      to: t(50).toISOString(),
      reason: 'rebuild',
    });
    const own = rebuildFindings(await store.listLocks('rebuild/'), t(40));
    expect(
      (await pageRebuild({ config, store, sinks, secrets, at: { cluster: 'main', replica: 'main-r1' }, findings: own, now: t(40) })).sent.map((p) => p.subject),
    ).toEqual(['[CRITICAL] RebuildFailed main/main-r1']);

    const monitor = pagerFor({ config, store, sinks, secrets, codes: CODES_BY_CHECK.replication, deadRebuilds: true });
    for (const s of [45, 55, 65]) {
      const r = await monitor.process([stopped], t(s));
      expect(r.sent).toEqual([]);
      expect(r.held.get('ReplicationStopped|main|main-r1')).toMatch(s < 50 ? /silenced/ : /inhibited by RebuildFailed\|main\|main-r1/);
    }
    store.locks.delete('rebuild/main');
    await pageRebuild({ config, store, sinks, secrets, at: { cluster: 'main', replica: 'main-r1' }, findings: [], now: t(70) });
    expect(sinks[1]!.pages.map((p) => p.subject)).toEqual(['[CRITICAL] RebuildFailed main/main-r1', '[RESOLVED] RebuildFailed main/main-r1']);
    expect(store.alerts.size).toBe(0);
  });

  it("is not held by its run's silence, which holds the replica's other findings", () => {
    const s = {
      id: 'rebuild/main/main-r1',
      cluster: 'main',
      target: 'main-r1',
      exceptCodes: ['RebuildFailed'],
      from: t(0).toISOString(),
      to: t(60).toISOString(),
      reason: 'rebuild',
    };
    expect(activeSilence([s], stopped, t(10))).toBe(s);
    expect(activeSilence([s], { ...stopped, code: 'RebuildFailed' }, t(10))).toBeUndefined();
  });
});

describe('a checkpoint written before tables were keyed by quoted names', () => {
  const tables = [
    { schema: 'app', name: 'a' },
    { schema: 'a.b', name: 'c' },
    { schema: 'a', name: 'b.c' },
  ];
  it('resumes when each old key means one table, and is refused when it could mean two', () => {
    const old = { replica: 'r1', position: 'p', schemaDone: true, tablesDone: ['app.a', 'gone.t'] };
    expect(upgradeCheckpoint(old, tables, 'X --force').tablesDone).toEqual(['`app`.`a`']);
    expect(() => upgradeCheckpoint({ ...old, tablesDone: ['a.b.c'] }, tables, 'X --force')).toThrow(RunbookRefusal);
    expect(() => upgradeCheckpoint({ ...old, tablesDone: ['a.b.c'] }, tables, 'X --force')).toThrow(
      'could be any of `a.b`.`c`, `a`.`b.c` (written by an older replwatch): start over with X --force',
    );
  });
});

describe('a rebuild lease', () => {
  it('fences its run off once someone else holds the lock, and once it has not been renewed in time', async () => {
    const store = new MemoryStore();
    const now = new Date();
    await store.acquireLock('rebuild/main', 'me', new Date(now.getTime() + 1000), now);
    const renewed: Date[] = [];
    const lease = new Lease(store, 'rebuild/main', 'me', 1000, now, async (end) => void renewed.push(end));
    lease.start();
    await new Promise((r) => setTimeout(r, 600));
    expect(renewed.length).toBeGreaterThanOrEqual(2);
    expect(() => lease.fence()).not.toThrow();
    // Taken over (as after a stall long enough for the lease to lapse): the next renewal is refused.
    store.locks.set('rebuild/main', { owner: 'other', expiresAt: new Date(Date.now() + 60_000).toISOString(), startedAt: new Date().toISOString() });
    await new Promise((r) => setTimeout(r, 300));
    expect(() => lease.fence()).toThrow(LeaseLost);
    expect(() => lease.fence()).toThrow(/other took over rebuild\/main/);
    lease.stop();

    // A store that no longer answers: the run stops before the lease could lapse and be taken.
    const silent = new MemoryStore();
    silent.renewLock = () => new Promise(() => undefined);
    const start = new Date();
    const stalled = new Lease(silent, 'rebuild/main', 'me', 1000, start, async () => undefined);
    stalled.start();
    expect(() => stalled.fence()).not.toThrow();
    await new Promise((r) => setTimeout(r, 800));
    expect(() => stalled.fence()).toThrow(/was not renewed in time/);
    stalled.stop();
  });
});

describe('a one-shot check during a running rebuild', () => {
  const silence = {
    id: rebuildSilenceId('main', 'main-r1'),
    cluster: 'main',
    target: 'main-r1',
    exceptCodes: ['RebuildFailed' as const],
    from: t(0).toISOString(),
    to: t(95).toISOString(),
    reason: 'rebuild-replica of main-r1 is running (ann@bastion pid 7 #abc)',
  };
  const withRunbook: Finding = {
    ...stopped,
    code: 'ReplicationBroken',
    severity: 'critical',
    runbook: 'replwatch runbook rebuild-replica --cluster main --replica main-r1',
  };

  it('reports what the replica shows, but advises leaving it be instead of START SLAVE or a second rebuild', () => {
    const [held, broken] = heldByRebuild([{ ...stopped, action: 'run on main-r1: START SLAVE' }, withRunbook], [silence], t(30));
    expect(held).toMatchObject({ code: 'ReplicationStopped', action: `leave it be: ${silence.reason} (held until ${silence.to})` });
    expect(held!.details.heldBy).toEqual({ silence: silence.id, until: silence.to, reason: silence.reason });
    expect(broken!.runbook).toBeUndefined();
    expect(broken!.action).toContain('leave it be');
  });

  it('once the rebuild silence has ended, other targets, and silences people made keep their advice', () => {
    const other = { ...stopped, target: 'main-r2', action: 'run on main-r2: START SLAVE' };
    const human = { ...silence, id: 'ops-quiet' };
    expect(heldByRebuild([{ ...stopped, action: 'START SLAVE' }], [silence], t(200))[0]!.action).toBe('START SLAVE');
    expect(heldByRebuild([other], [silence], t(30))[0]!.action).toBe('run on main-r2: START SLAVE');
    expect(heldByRebuild([{ ...stopped, action: 'START SLAVE' }], [human], t(30))[0]!.action).toBe('START SLAVE');
  });
});
