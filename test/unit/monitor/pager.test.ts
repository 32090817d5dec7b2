import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Pager } from '../../../src/monitor/pager';
import type { AlertState } from '../../../src/alerting/alert';
import type { Page } from '../../../src/alerting/page';
import type { Finding } from '../../../src/model/findings';
import type { PageSink } from '../../../src/sinks/pages';
import { DynamoStore } from '../../../src/state/dynamodb';
import { FileStore } from '../../../src/state/file';
import { MemoryStore, type StateStore } from '../../../src/state/store';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { fakeDynamoTable } from '../../support/fakeDynamo';

const broken: Finding = {
  code: 'ReplicationBroken',
  severity: 'critical',
  cluster: 'main',
  target: 'main-r1',
  summary: 'SQL thread stopped: 1062',
  details: {},
};
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
  return new Pager({ store, sinks, policy: { resolveSamples: 2, repeatMs: 1_800_000 }, silences, endpointOf: () => undefined });
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

  it("tells its own sinks of an alert another process paged (the runbook's terminal and page file), and owes nothing to that process's terminal once it is gone", async () => {
    // Now, not the fixed clock: a RESOLVED waits for another process's sink a day at most, by the real clock.
    const now = (s: number) => new Date(Date.now() + s * 1000);
    const store = new MemoryStore();
    const runbook = [new RecordingSink('console:bastion:111'), new RecordingSink('jsonl:/srv/.replwatch/pages.jsonl')];
    await pager(store, runbook).process([broken], now(0));
    expect(runbook.map((s) => s.pages.length)).toEqual([1, 1]);
    const watch = [new RecordingSink('console:bastion:222'), new RecordingSink('jsonl:/srv/watch-pages.jsonl')];
    const p = pager(store, watch);
    await p.process([broken], now(10));
    await p.process([broken], now(20));
    expect(watch.map((s) => s.pages.map((x) => x.kind))).toEqual([['firing'], ['firing']]);
    expect(watch[1]!.pages[0]!.subject).toBe('[CRITICAL] ReplicationBroken main/main-r1');
    await p.process([], now(30));
    await p.process([], now(40));
    expect(watch.map((s) => s.pages.map((x) => x.kind))).toEqual([
      ['firing', 'resolved'],
      ['firing', 'resolved'],
    ]);
    // The runbook's page file is owed its RESOLVED (its process may write it again); its terminal is not.
    expect([...store.alerts.values()][0]!.undelivered).toMatchObject({ kind: 'resolved', sinks: ['jsonl:/srv/.replwatch/pages.jsonl'] });
  });

  it('owes a RESOLVED to the terminal of another watcher while that watcher runs, which shows it on its next sample', async () => {
    const now = (s: number) => new Date(Date.now() + s * 1000);
    const store = new MemoryStore();
    const a = new RecordingSink(`console:${hostname()}:${process.pid}`);
    const b = new RecordingSink(`console:${hostname()}:${process.ppid}`);
    const [pa, pb] = [pager(store, [a]), pager(store, [b])];
    await pa.process([broken], now(0));
    await pb.process([broken], now(1));
    await pb.process([], now(10));
    await pb.process([], now(20));
    expect(b.pages.map((x) => x.kind)).toEqual(['firing', 'resolved']);
    expect(a.pages.map((x) => x.kind)).toEqual(['firing']);
    await pa.process([], now(21));
    expect(a.pages.map((x) => x.kind)).toEqual(['firing', 'resolved']);
    expect(store.alerts.size).toBe(0);
    // A watcher started after the incident, its terminal never told, hears no RESOLVED of it.
    const late = new RecordingSink(`console:${hostname()}:${process.pid}-late`);
    await pa.process([broken], now(30));
    await pa.process([], now(40));
    await pager(store, [late]).process([], now(50));
    expect(late.pages).toEqual([]);
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
    const network = new Pager({
      store,
      sinks: [sink],
      policy: { resolveSamples: 2, repeatMs: 1_800_000 },
      silences: [],
      endpointOf: (f) => f.target,
      codes: new Set(['HostUnreachable', 'PacketLoss']),
    });
    const memcache = new Pager({
      store,
      sinks: [sink],
      policy: { resolveSamples: 2, repeatMs: 1_800_000 },
      silences: [],
      endpointOf: (f) => f.target,
      codes: new Set(['MemcacheUnreachable']),
    });
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

  it("page once through the locked state file, from two processes, even when both find a dead process's lock to take over", async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    for (let round = 0; round < 4; round++) {
      const dir = mkdtempSync(join(tmpdir(), 'rw-pager-'));
      if (round >= 2) writeFileSync(join(dir, 'state.json.lock'), `${dead} left-behind`);
      const run = () =>
        new Promise<string>((resolve, reject) => {
          const child = spawn(process.execPath, [
            '--import',
            'tsx',
            join(import.meta.dirname, '../../support/pageOnce.ts'),
            join(dir, 'state.json'),
            join(dir, 'pages.jsonl'),
            t(0).toISOString(),
          ]);
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

describe('owed pages', () => {
  const KEY = 'ReplicationBroken|main|main-r1';
  const log = (s: RecordingSink) => s.pages.map((x) => `${x.kind} ${x.at}`);

  it('records a RESOLVED as owed before sending it: a run that dies mid-send leaves it to be resent, once', async () => {
    const store = new MemoryStore();
    const sns = new RecordingSink('sns');
    await pager(store, [sns]).process([broken], t(0));
    await pager(store, [sns]).process([], t(10));
    let whileSending: unknown;
    const dying: PageSink = { name: 'sns', send: async () => void (whileSending = structuredClone(store.alerts.get(KEY))) };
    await pager(store, [dying]).process([], t(20));
    expect(whileSending).toMatchObject({ undelivered: { kind: 'resolved', sinks: ['sns'], at: t(20).toISOString() } });
    // The run died there: what it left is what it wrote before sending.
    store.alerts.set(KEY, whileSending as AlertState);
    await pager(store, [sns]).process([], t(30));
    expect(log(sns)).toEqual([`firing ${t(0).toISOString()}`]);
    await pager(store, [sns]).process([], t(51));
    await pager(store, [sns]).process([], t(61));
    expect(log(sns)).toEqual([`firing ${t(0).toISOString()}`, `resolved ${t(20).toISOString()}`]);
    expect(store.alerts.size).toBe(0);
  });

  it('resends an owed FIRING while the alert is clearing, so its RESOLVED follows a FIRING', async () => {
    const store = new MemoryStore();
    const sns = new RecordingSink('sns');
    const file = new RecordingSink('jsonl');
    sns.failing = true;
    await pager(store, [sns, file]).process([broken], t(0));
    sns.failing = false;
    await pager(store, [sns, file]).process([], t(10));
    await pager(store, [sns, file]).process([], t(20));
    expect(sns.pages.map((x) => x.kind)).toEqual(['firing', 'resolved']);
    expect(file.pages.map((x) => x.kind)).toEqual(['firing', 'resolved']);
  });

  it('an alert back before every sink took its RESOLVED fires again for the sinks that took it, and resolves for all once over', async () => {
    const store = new MemoryStore();
    const sns = new RecordingSink('sns');
    const file = new RecordingSink('jsonl');
    const p = pager(store, [sns, file]);
    await p.process([broken], t(0));
    await p.process([], t(10));
    sns.failing = true;
    await p.process([], t(20));
    sns.failing = false;
    await p.process([broken], t(30));
    expect(file.pages.map((x) => x.kind)).toEqual(['firing', 'resolved', 'firing']);
    expect(sns.pages.map((x) => x.kind)).toEqual(['firing']);
    await p.process([], t(40));
    await p.process([], t(50));
    expect(file.pages.map((x) => x.kind)).toEqual(['firing', 'resolved', 'firing', 'resolved']);
    expect(sns.pages.map((x) => x.kind)).toEqual(['firing', 'resolved']);
    expect(store.alerts.size).toBe(0);
  });

  it('a sink that missed the FIRING and every repeat gets no RESOLVED; one a repeat reached does', async () => {
    const store = new MemoryStore();
    const sns = new RecordingSink('sns');
    const chat = new RecordingSink('chat');
    const file = new RecordingSink('jsonl');
    const p = new Pager({ store, sinks: [sns, chat, file], policy: { resolveSamples: 1, repeatMs: 60_000 }, silences: [], endpointOf: () => undefined });
    sns.failing = true;
    chat.failing = true;
    await p.process([broken], t(0));
    chat.failing = false;
    await p.process([broken], t(60));
    sns.failing = false;
    await p.process([], t(70));
    expect(file.pages.map((x) => x.kind)).toEqual(['firing', 'repeat', 'resolved']);
    expect(chat.pages.map((x) => x.kind)).toEqual(['repeat', 'resolved']);
    expect(sns.pages).toEqual([]);
    expect(store.alerts.size).toBe(0);
  });

  it('a resolving alert of another check inhibits nothing: it is over', async () => {
    const store = new MemoryStore();
    const sns = new RecordingSink('sns');
    const endpointOf = (f: Finding) => f.target;
    const policy = { resolveSamples: 1, repeatMs: 1_800_000 };
    const network = new Pager({ store, sinks: [sns], policy, silences: [], endpointOf, codes: new Set(['HostUnreachable']) });
    const memcache = new Pager({ store, sinks: [sns], policy, silences: [], endpointOf, codes: new Set(['MemcacheUnreachable']) });
    const host: Finding = { code: 'HostUnreachable', severity: 'critical', cluster: 'edge', target: '10.0.1.5:11211', summary: 'all lost', details: {} };
    const mc: Finding = { code: 'MemcacheUnreachable', severity: 'critical', cluster: 'sessions', target: '10.0.1.5:11211', summary: 'no reply', details: {} };
    await network.process([host], t(0));
    await network.process([host], t(10));
    sns.failing = true;
    await network.process([], t(20));
    sns.failing = false;
    await memcache.process([mc], t(21));
    const r = await memcache.process([mc], t(22));
    expect(r.held.size).toBe(0);
    expect(sns.pages.map((x) => `${x.kind} ${x.code}`)).toContain('firing MemcacheUnreachable');
  });

  for (const [name, open] of [
    [
      'memory',
      () => {
        const memory = new MemoryStore();
        return { store: () => memory as StateStore, close: () => undefined };
      },
    ],
    [
      'DynamoDB',
      () => {
        const table = fakeDynamoTable();
        return { store: () => new DynamoStore(new DynamoDBClient({ region: 'us-east-1' }), 'state') as StateStore, close: () => table.mock.restore() };
      },
    ],
    [
      'state file',
      () => {
        const file = join(mkdtempSync(join(tmpdir(), 'rw-owed-')), 'state.json');
        return { store: () => new FileStore(file) as StateStore, close: () => undefined };
      },
    ],
  ] as const) {
    it(`a page is struck off even when another run wrote its alert while it was being sent (${name})`, async () => {
      const backend = open();
      try {
        const shared = backend.store();
        const other = pager(backend.store(), [new RecordingSink('sns')]);
        const sns = new RecordingSink('sns');
        // While this run sends the FIRING, another run takes a (clear) sample and writes the alert.
        const slow: PageSink = {
          name: 'sns',
          send: async (page) => {
            await other.process([], t(1));
            await sns.send(page);
          },
        };
        await pager(shared, [slow]).process([broken], t(0));
        expect((await shared.loadAlerts()).get(KEY)?.undelivered).toBeUndefined();
        for (const s of [40, 50, 60]) await pager(shared, [sns]).process([broken], t(s));
        expect(log(sns)).toEqual([`firing ${t(0).toISOString()}`]);
      } finally {
        backend.close();
      }
    });
  }
});
