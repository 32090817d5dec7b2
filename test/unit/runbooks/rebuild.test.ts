import { spawn } from 'node:child_process';
import { hostname, userInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { RunbookRefusal } from '../../../src/runbooks/errors';
import { ownerAlive } from '../../../src/runbooks/lease';
import { examineLock, type RebuildRequest } from '../../../src/runbooks/rebuild';
import { mergeFlags, passwordNote } from '../../../src/runbooks/target';
import { MemoryStore } from '../../../src/state/store';

const checkpoint = { v: 2, replica: 'main-r1', position: '0-1-10', schemaDone: true, tablesDone: ['`app`.`a`'], step: 'copy rows' };
const req = (o: Partial<RebuildRequest> = {}): RebuildRequest => ({
  cluster: 'main',
  replica: 'main-r1',
  execute: true,
  commands: { program: 'replwatch', flags: '' },
  ...o,
});
const refusal = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => (e instanceof RunbookRefusal ? e.message : Promise.reject(e)),
  );

describe('a rebuild lock held by a process of this host', () => {
  it('is running while that process lives, and dead once it is killed: refused with how to --resume, then taken over', async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    const exited = new Promise((r) => child.once('exit', r));
    try {
      const owner = `${userInfo().username}@${hostname()} pid ${child.pid} #abc123`;
      expect(ownerAlive(owner)).toBe(true);
      const store = new MemoryStore();
      const now = Date.now();
      store.locks.set('rebuild/main', {
        owner,
        startedAt: new Date(now - 5000).toISOString(),
        renewedAt: new Date(now - 1000).toISOString(),
        expiresAt: new Date(now + 60_000).toISOString(),
        checkpoint,
      });
      expect(await refusal(examineLock(store, 'rebuild/main', req({ resume: true })))).toMatch(/^a rebuild of main-r1 in cluster main is running \(/);

      child.kill('SIGKILL');
      await exited;
      expect(ownerAlive(owner)).toBe(false);
      const dead = await refusal(examineLock(store, 'rebuild/main', req()));
      expect(dead).toContain('a rebuild of main-r1 in cluster main is dead: it stopped at "copy rows" with 1 table(s) copied');
      expect(dead).toContain(`its process (pid ${child.pid} on this host) is gone, so its lease was ended at once`);
      expect(dead).toContain('continue it with replwatch runbook rebuild-replica --cluster main --replica main-r1 --execute --resume');
      // Its lease is over in the store too: the monitor sees it dead, and --resume takes it over.
      expect(Date.parse(store.locks.get('rebuild/main')!.expiresAt)).toBeLessThanOrEqual(Date.now());
      const lock = await examineLock(store, 'rebuild/main', req({ resume: true }));
      const { resume } = await lock.take('me@here pid 1 #fff', 60_000, [{ schema: 'app', name: 'a' }]);
      expect(resume).toMatchObject({ replica: 'main-r1', tablesDone: ['`app`.`a`'] });
      expect(store.locks.get('rebuild/main')!.owner).toBe('me@here pid 1 #fff');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it("is continued with the dead run's own flags (donor, account reference, workers), which its checkpoint recorded", async () => {
    const store = new MemoryStore();
    const flags = ' --donor main-r2 --workers 2 --user admin --password env:ADMIN_PW';
    store.locks.set('rebuild/main', {
      owner: 'ann@bastion pid 7 #abc',
      expiresAt: new Date(Date.now() - 1000).toISOString(),
      checkpoint: { ...checkpoint, flags },
    });
    const dead = await refusal(examineLock(store, 'rebuild/main', req()));
    expect(dead).toContain(
      `continue it with replwatch runbook rebuild-replica --cluster main --replica main-r1 --execute${flags} --resume, or start over with`,
    );
    expect(dead).toContain(`--execute${flags} --force`);
    const other = await refusal(examineLock(store, 'rebuild/main', req({ replica: 'main-r3' })));
    expect(other).toContain(`finish it first with replwatch runbook rebuild-replica --cluster main --replica main-r1 --execute${flags} --resume`);
  });

  it('cannot be told alive or dead from another host, a Lambda, or an id of another shape: the lease decides', () => {
    expect(ownerAlive(`ann@not-${hostname()} pid 1 #abc`)).toBeUndefined();
    expect(ownerAlive(`ann@${hostname()} pid 999999999 #abc`, { AWS_LAMBDA_FUNCTION_NAME: 'rebuildReplica' })).toBeUndefined();
    expect(ownerAlive('someone')).toBeUndefined();
    expect(ownerAlive(`ann@${hostname()} pid ${process.pid} #abc`)).toBe(true);
  });
});

describe("a dead run's flags and the flags given now", () => {
  it("keep the dead run's donor and account where the new command gives none of its own, and take the new ones by name", () => {
    const recorded = ' --donor main-r2 --workers 2 --user admin --password env:REPLWATCH_REBUILD_PASSWORD';
    expect(mergeFlags(recorded, ' --workers 3')).toBe(' --donor main-r2 --user admin --password env:REPLWATCH_REBUILD_PASSWORD --workers 3');
    expect(mergeFlags(recorded, ' --user ops')).toBe(' --donor main-r2 --workers 2 --user ops');
    expect(mergeFlags(undefined, ' --lease 60s')).toBe(' --lease 60s');
    expect(mergeFlags(recorded, '')).toBe(recorded);
  });

  it('say to export the password a printed command reads from the environment', () => {
    expect(passwordNote('replwatch ... --password env:REPLWATCH_REBUILD_PASSWORD --resume')).toContain(
      'export REPLWATCH_REBUILD_PASSWORD=<the password> first',
    );
    expect(passwordNote('replwatch ... --password env:ADMIN_PW --resume')).toBe('');
  });
});
