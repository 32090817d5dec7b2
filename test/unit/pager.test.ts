import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Pager } from '../../src/check/pager';
import type { Page } from '../../src/alerting/page';
import type { Finding } from '../../src/model/findings';
import type { PageSink } from '../../src/sinks/pages';
import { DynamoStore } from '../../src/state/dynamodb';
import { MemoryStore, type StateStore } from '../../src/state/store';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { fakeDynamoTable } from '../support/fakeDynamo';

const broken: Finding = { code: 'ReplicationBroken', severity: 'critical', cluster: 'main', target: 'main-r1', summary: 'SQL thread stopped: 1062', details: {} };
const t = (s: number) => new Date(Date.parse('2026-11-22T10:00:00Z') + s * 1000);

class RecordingSink implements PageSink {
  readonly pages: Page[] = [];
  failing = false;
  constructor(readonly name: string) {}
  async send(page: Page): Promise<void> {
    if (this.failing) throw new Error(`${this.name} is down`);
    this.pages.push(page);
  }
}

function pager(store: StateStore, sinks: PageSink[], silences = []) {
  return new Pager({ store, sinks, policy: { resolveSamples: 2, repeatMs: 1_800_000 }, silences, hostOf: () => undefined });
}

describe('Pager', () => {
  it('pages each transition once through every sink', async () => {
    const sink = new RecordingSink('sns');
    const p = pager(new MemoryStore(), [sink]);
    await p.process([broken], t(0));
    await p.process([broken], t(10));
    await p.process([], t(20));
    await p.process([], t(30));
    expect(sink.pages.map((x) => x.subject)).toEqual(['[CRITICAL] ReplicationBroken main/main-r1', '[RESOLVED] ReplicationBroken main/main-r1']);
  });

  it('records a page a sink refused and sends it to that sink only, next sample', async () => {
    const sns = new RecordingSink('sns');
    const file = new RecordingSink('jsonl');
    const store = new MemoryStore();
    const p = pager(store, [sns, file]);
    sns.failing = true;
    const first = await p.process([broken], t(0));
    expect(first.failed.map((f) => f.sinks)).toEqual([['sns']]);
    expect([...store.alerts.values()][0]!.undelivered).toMatchObject({ kind: 'firing', sinks: ['sns'] });
    expect((await p.process([broken], t(10))).failed).toHaveLength(1);
    sns.failing = false;
    const healed = await p.process([broken], t(20));
    expect(healed.sent.map((x) => x.kind)).toEqual(['firing']);
    expect(sns.pages).toHaveLength(1);
    expect(file.pages).toHaveLength(1);
    expect([...store.alerts.values()][0]!.undelivered).toBeUndefined();
  });

  it('delivers a resolve that failed on a later sample, to the sink that missed it', async () => {
    const sns = new RecordingSink('sns');
    const file = new RecordingSink('jsonl');
    const p = pager(new MemoryStore(), [sns, file]);
    await p.process([broken], t(0));
    await p.process([], t(10));
    sns.failing = true;
    expect((await p.process([], t(20))).failed.map((f) => f.page.kind)).toEqual(['resolved']);
    sns.failing = false;
    await p.process([], t(30));
    expect(sns.pages.map((x) => x.kind)).toEqual(['firing', 'resolved']);
    expect(file.pages.map((x) => x.kind)).toEqual(['firing', 'resolved']);
  });

  it('holds what a stored silence matches, and says why', async () => {
    const sink = new RecordingSink('sns');
    const store = new MemoryStore();
    await store.addSilence({ id: 's1', cluster: 'main', from: t(-60).toISOString(), to: t(60).toISOString(), reason: 'rebuilding main-r1' });
    const r = await pager(store, [sink]).process([broken], t(0));
    expect(r.held.get('ReplicationBroken|main|main-r1')).toContain('rebuilding main-r1');
    expect(sink.pages).toEqual([]);
    await pager(store, [sink]).process([broken], t(70));
    expect(sink.pages.map((x) => x.kind)).toEqual(['firing']);
  });

  it('leaves alerts of codes it does not own alone, and lets their firing ones inhibit its own', async () => {
    const sink = new RecordingSink('sns');
    const store = new MemoryStore();
    const host: Finding = { code: 'HostUnreachable', severity: 'critical', cluster: 'edge', target: '10.0.1.5:11211', summary: 'all lost', details: {} };
    const network = new Pager({ store, sinks: [sink], policy: { resolveSamples: 2, repeatMs: 1_800_000 }, silences: [], hostOf: (f) => f.target.split(':')[0], codes: new Set(['HostUnreachable', 'PacketLoss']) });
    const memcache = new Pager({ store, sinks: [sink], policy: { resolveSamples: 2, repeatMs: 1_800_000 }, silences: [], hostOf: (f) => f.target.split(':')[0], codes: new Set(['MemcacheUnreachable']) });
    await network.process([host], t(0));
    await network.process([host], t(10));
    const mc: Finding = { code: 'MemcacheUnreachable', severity: 'critical', cluster: 'sessions', target: '10.0.1.5:11211', summary: 'no reply', details: {} };
    const r = await memcache.process([mc], t(11));
    expect(r.held.get('MemcacheUnreachable|sessions|10.0.1.5:11211')).toBe('inhibited by HostUnreachable|edge|10.0.1.5:11211');
    await memcache.process([], t(12));
    await memcache.process([], t(13));
    expect(store.alerts.has('HostUnreachable|edge|10.0.1.5:11211')).toBe(true);
    expect(sink.pages.map((x) => x.subject)).toEqual(['[CRITICAL] HostUnreachable edge/10.0.1.5:11211']);
  });
});

describe('two overlapping runs on one state', () => {
  it('page once through DynamoDB conditional writes', async () => {
    const table = fakeDynamoTable();
    try {
      const sink = new RecordingSink('sns');
      const a = pager(new DynamoStore(new DynamoDBClient({ region: 'us-east-1' }), 'state'), [sink]);
      const b = pager(new DynamoStore(new DynamoDBClient({ region: 'us-east-1' }), 'state'), [sink]);
      const [ra, rb] = await Promise.all([a.process([broken], t(0)), b.process([broken], t(0))]);
      expect(sink.pages).toHaveLength(1);
      expect(ra.lostRaces + rb.lostRaces).toBe(1);
      // Written once owing the page (version 1), then once more when every sink took it.
      expect(table.items.get('alert#ReplicationBroken|main|main-r1')).toMatchObject({ kind: 'alert', version: 2 });
      await Promise.all([a.process([], t(10)), b.process([], t(10))]);
      await Promise.all([a.process([], t(20)), b.process([], t(20))]);
      expect(sink.pages.map((p) => p.kind)).toEqual(['firing', 'resolved']);
    } finally {
      table.mock.restore();
    }
  });

  it('page once through the locked state file, from two processes, even when both find a dead process\'s lock to take over', async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    for (let round = 0; round < 4; round++) {
      const dir = mkdtempSync(join(tmpdir(), 'rw-pager-'));
      if (round >= 2) writeFileSync(join(dir, 'state.json.lock'), `${dead} left-behind`);
      const run = () =>
        new Promise<string>((resolve, reject) => {
          const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../support/pageOnce.ts'), join(dir, 'state.json'), join(dir, 'pages.jsonl'), t(0).toISOString()]);
          let out = '';
          child.stdout.on('data', (d) => (out += d));
          child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited ${code}`))));
        });
      const results = (await Promise.all([run(), run()])).map((o) => JSON.parse(o) as { sent: number; lostRaces: number });
      expect(results.map((r) => r.sent).sort()).toEqual([0, 1]);
      expect(existsSync(join(dir, 'state.json.lock'))).toBe(false);
      expect(readFileSync(join(dir, 'pages.jsonl'), 'utf8').trim().split('\n')).toHaveLength(1);
    }
  });
});
