import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { DynamoStore } from '../../../src/state/dynamodb';
import { FileStore } from '../../../src/state/file';
import { MemoryStore, type StateStore } from '../../../src/state/store';
import { fakeDynamoTable } from '../../support/fakeDynamo';

const table = fakeDynamoTable();
afterAll(() => table.mock.restore());

const at = (s: number) => new Date(Date.UTC(2026, 10, 22, 10, 0, s));
const stores: Array<[string, () => StateStore]> = [
  ['MemoryStore', () => new MemoryStore()],
  ['FileStore', () => new FileStore(join(mkdtempSync(join(tmpdir(), 'rw-lease-')), 'state.json'))],
  [
    'DynamoStore',
    () => {
      table.items.clear();
      return new DynamoStore(new DynamoDBClient({ region: 'us-east-1' }), 'state');
    },
  ],
];

describe.each(stores)('%s rebuild lock as a lease', (_, make) => {
  it('is never taken from a live owner; renewed only by its owner before it lapses; taken by anyone after', async () => {
    const store = make();
    const a = await store.acquireLock('rebuild/main', 'a', at(60), at(0));
    expect(a).toMatchObject({ owner: 'a', startedAt: at(0).toISOString(), renewedAt: at(0).toISOString(), expiresAt: at(60).toISOString() });
    expect(await store.updateLock('rebuild/main', 'a', { replica: 'r1', tablesDone: ['x'] }, at(1))).toBe(true);
    // Not even the same owner id twice: a second run has an owner of its own.
    expect(await store.acquireLock('rebuild/main', 'b', at(70), at(10))).toBeUndefined();
    expect(await store.acquireLock('rebuild/main', 'a', at(70), at(10))).toBeUndefined();
    expect(await store.renewLock('rebuild/main', 'b', at(80), at(20))).toBe(false);
    expect(await store.renewLock('rebuild/main', 'a', at(80), at(20))).toBe(true);
    expect(await store.readLock('rebuild/main')).toMatchObject({
      owner: 'a',
      renewedAt: at(20).toISOString(),
      expiresAt: at(80).toISOString(),
      startedAt: at(0).toISOString(),
    });
    // At 70 the lease renewed at 20 still runs; at 80 it lapsed: its owner can no longer renew or write it.
    expect(await store.acquireLock('rebuild/main', 'b', at(140), at(70))).toBeUndefined();
    expect(await store.renewLock('rebuild/main', 'a', at(140), at(80))).toBe(false);
    expect(await store.updateLock('rebuild/main', 'a', { replica: 'r1', tablesDone: ['x', 'y'] }, at(80))).toBe(false);
    // A resume keeps the checkpoint under its own owner id; the old owner is fenced off.
    expect(await store.acquireLock('rebuild/main', 'b', at(140), at(80), { keepCheckpoint: true })).toMatchObject({
      owner: 'b',
      checkpoint: { replica: 'r1', tablesDone: ['x'] },
    });
    expect(await store.updateLock('rebuild/main', 'a', { stale: true }, at(81))).toBe(false);
    expect(await store.parkLock('rebuild/main', 'a', at(81), true)).toBe(false);
    await store.releaseLock('rebuild/main', 'a');
    expect((await store.readLock('rebuild/main'))?.owner).toBe('b');
    // Starting over drops it.
    await store.parkLock('rebuild/main', 'b', at(90), false);
    expect(await store.acquireLock('rebuild/main', 'c', at(150), at(90))).not.toHaveProperty('checkpoint');
    await store.releaseLock('rebuild/main', 'c');
    expect(await store.readLock('rebuild/main')).toBeUndefined();
  });

  it('is handed over on purpose: a successor takes it before it lapses, the owner no longer renews it', async () => {
    const store = make();
    await store.acquireLock('rebuild/main', 'lambda-1', at(60), at(0));
    await store.updateLock('rebuild/main', 'lambda-1', { replica: 'r1' }, at(1));
    expect(await store.parkLock('rebuild/main', 'lambda-1', at(62), true)).toBe(true);
    expect(await store.renewLock('rebuild/main', 'lambda-1', at(70), at(3))).toBe(false);
    expect(await store.listLocks('rebuild/')).toEqual([{ name: 'rebuild/main', lock: expect.objectContaining({ owner: 'lambda-1', handover: true }) }]);
    const next = await store.acquireLock('rebuild/main', 'lambda-2', at(65), at(5), { keepCheckpoint: true });
    expect(next).toMatchObject({ owner: 'lambda-2', checkpoint: { replica: 'r1' } });
    expect(next).not.toHaveProperty('handover');
    expect(await store.acquireLock('rebuild/main', 'lambda-3', at(66), at(6))).toBeUndefined();
  });

  it('lets exactly one of two simultaneous takers have a lapsed lock', async () => {
    const store = make();
    await store.acquireLock('rebuild/main', 'dead', at(10), at(0));
    const taken = await Promise.all(['x', 'y'].map((o) => store.acquireLock('rebuild/main', o, at(80), at(20))));
    expect(taken.filter(Boolean)).toHaveLength(1);
  });

  it('lists locks by prefix, and replaces a silence of the same id', async () => {
    const store = make();
    await store.acquireLock('rebuild/a', 'o', at(60), at(0));
    await store.acquireLock('autorebuild/a', 'o', at(60), at(0));
    expect((await store.listLocks('rebuild/')).map((l) => l.name)).toEqual(['rebuild/a']);
    await store.addSilence({ id: 'rebuild/a/r1', cluster: 'a', target: 'r1', from: at(0).toISOString(), to: at(70).toISOString(), reason: 'running' });
    await store.addSilence({ id: 'rebuild/a/r1', cluster: 'a', target: 'r1', from: at(0).toISOString(), to: at(90).toISOString(), reason: 'running' });
    expect((await store.listSilences()).map((s) => s.to)).toEqual([at(90).toISOString()]);
  });
});

describe('DynamoStore locks', () => {
  it("keeps a lease's end out of the TTL attribute, so a dead rebuild's checkpoint is never expired away", async () => {
    const store = new DynamoStore(new DynamoDBClient({ region: 'us-east-1' }), 'state');
    table.items.clear();
    await store.acquireLock('rebuild/main', 'a', at(60), at(0));
    expect(table.items.get('lock#rebuild/main')).toMatchObject({ kind: 'lock', leaseUntil: at(60).getTime() });
    expect(table.items.get('lock#rebuild/main')).not.toHaveProperty('expiresAt');
  });

  it('reads a lock written before leases (its end in expiresAt, seconds) and takes it once lapsed', async () => {
    const store = new DynamoStore(new DynamoDBClient({ region: 'us-east-1' }), 'state');
    table.items.clear();
    table.items.set('lock#rebuild/main', {
      pk: 'lock#rebuild/main',
      kind: 'lock',
      owner: 'old',
      expiresAt: at(30).getTime() / 1000,
      checkpoint: { replica: 'r1' },
    });
    expect(await store.readLock('rebuild/main')).toEqual({ owner: 'old', expiresAt: at(30).toISOString(), checkpoint: { replica: 'r1' } });
    expect(await store.acquireLock('rebuild/main', 'new', at(90), at(20))).toBeUndefined();
    expect(await store.acquireLock('rebuild/main', 'new', at(90), at(30), { keepCheckpoint: true })).toMatchObject({
      owner: 'new',
      checkpoint: { replica: 'r1' },
    });
  });
});
