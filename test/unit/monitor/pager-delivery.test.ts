import { describe, expect, it } from 'vitest';
import { Pager } from '../../../src/monitor/pager';
import type { Page } from '../../../src/alerting/page';
import type { Finding } from '../../../src/model/findings';
import type { PageSink } from '../../../src/sinks/pages';
import { MemoryStore, type StateStore } from '../../../src/state/store';

const f = (code: Finding['code'], target: string, severity: Finding['severity'] = 'critical'): Finding => ({
  code,
  severity,
  cluster: 'main',
  target,
  summary: code,
  details: {},
});
const broken = f('ReplicationBroken', 'main-r1');
const t = (s: number) => new Date(Date.parse('2026-11-22T10:00:00Z') + s * 1000);
const KEY = 'ReplicationBroken|main|main-r1';

class Sink implements PageSink {
  readonly pages: Page[] = [];
  failing = false;
  onSend?: () => void;
  constructor(readonly name: string) {}
  async send(page: Page): Promise<void> {
    this.onSend?.();
    if (this.failing) throw new Error(`${this.name} is down`);
    this.pages.push(page);
  }
}

const pager = (store: StateStore, sinks: PageSink[], endpointOf: (f: Finding) => string | undefined = () => undefined) =>
  new Pager({ store, sinks, policy: { resolveSamples: 2, repeatMs: 1_800_000 }, silences: [], endpointOf });
const kinds = (s: Sink) => s.pages.map((p) => `${p.kind} ${p.code}`);

describe('page delivery', () => {
  it('records a page as owed before sending it, so a run that dies mid-send leaves it to be retried', async () => {
    const store = new MemoryStore();
    const sns = new Sink('sns');
    let owedWhileSending: unknown;
    sns.onSend = () => (owedWhileSending = store.alerts.get(KEY)?.undelivered);
    await pager(store, [sns]).process([broken], t(0));
    expect(owedWhileSending).toMatchObject({ kind: 'firing', sinks: ['sns'] });
    expect(store.alerts.get(KEY)!.undelivered).toBeUndefined();
  });

  it('retries what a crashed run owed once its lease has passed, and not before', async () => {
    const store = new MemoryStore();
    const sns = new Sink('sns');
    await pager(store, [new Sink('sns')]).process([broken], t(0));
    // What a run that crashed after its write and before its send leaves behind.
    const a = store.alerts.get(KEY)!;
    store.alerts.set(KEY, {
      ...a,
      undelivered: { kind: 'firing', sinks: ['sns'], at: t(0).toISOString(), leaseUntil: t(30).toISOString() },
      version: a.version + 1,
    });
    await pager(store, [sns]).process([broken], t(10));
    expect(sns.pages).toEqual([]);
    await pager(store, [sns]).process([broken], t(31));
    expect(kinds(sns)).toEqual(['firing ReplicationBroken']);
    await pager(store, [sns]).process([broken], t(90));
    expect(sns.pages).toHaveLength(1);
  });

  it('two runs that both find a page owed send it once: the claim is written before the send', async () => {
    const store = new MemoryStore();
    const sns = new Sink('sns');
    sns.failing = true;
    await pager(store, [sns]).process([broken], t(0));
    sns.failing = false;
    const [a, b] = await Promise.all([pager(store, [sns]).process([broken], t(10)), pager(store, [sns]).process([broken], t(10))]);
    expect(kinds(sns)).toEqual(['firing ReplicationBroken']);
    expect(a.lostRaces + b.lostRaces).toBeGreaterThanOrEqual(1);
  });

  it('a sink the FIRING never reached gets neither that stale FIRING nor a RESOLVED once the alert is over; the others get both', async () => {
    const store = new MemoryStore();
    const sns = new Sink('sns');
    const file = new Sink('jsonl');
    sns.failing = true;
    await pager(store, [sns, file]).process([broken], t(0));
    await pager(store, [sns, file]).process([], t(10));
    sns.failing = false;
    await pager(store, [sns, file]).process([], t(20));
    await pager(store, [sns, file]).process([], t(30));
    expect(kinds(sns)).toEqual([]);
    expect(kinds(file)).toEqual(['firing ReplicationBroken', 'resolved ReplicationBroken']);
    expect(store.alerts.size).toBe(0);
  });

  it('an escalation while a warning page is owed goes to every sink', async () => {
    const store = new MemoryStore();
    const sns = new Sink('sns');
    const file = new Sink('jsonl');
    const lag = (severity: Finding['severity']) => f('ReplicaLagging', 'main-r1', severity);
    file.failing = true;
    await pager(store, [sns, file]).process([lag('warning')], t(0));
    file.failing = false;
    await pager(store, [sns, file]).process([lag('critical')], t(0.5));
    expect(kinds(sns)).toEqual(['firing ReplicaLagging', 'firing ReplicaLagging']);
    expect(file.pages.map((p) => p.severity)).toEqual(['critical']);
  });

  it('an owed resolve is dropped when the alert comes back before it went out', async () => {
    const store = new MemoryStore();
    const sns = new Sink('sns');
    await pager(store, [sns]).process([broken], t(0));
    await pager(store, [sns]).process([], t(10));
    sns.failing = true;
    await pager(store, [sns]).process([], t(20));
    sns.failing = false;
    await pager(store, [sns]).process([broken], t(30));
    await pager(store, [sns]).process([broken], t(40));
    expect(kinds(sns)).toEqual(['firing ReplicationBroken']);
    expect(store.alerts.get(KEY)).toMatchObject({ status: 'firing' });
    expect(store.alerts.get(KEY)!.undelivered).toBeUndefined();
  });
});

describe("a dead primary holds its replicas' firing alerts", () => {
  it('a replica lag alert is neither resolved nor re-paged while the primary is down; it resolves once all is well', async () => {
    const store = new MemoryStore();
    const sns = new Sink('sns');
    const p = pager(store, [sns]);
    const lag = f('ReplicaLagging', 'main-r1', 'warning');
    const dead = f('PrimaryUnreachable', 'main-primary');
    await p.process([lag], t(0));
    // The primary dies: health folds the replicas' symptoms into one finding.
    for (const s of [10, 20, 30, 40]) await p.process([dead], t(s));
    expect(kinds(sns)).toEqual(['firing ReplicaLagging', 'firing PrimaryUnreachable']);
    expect(store.alerts.get('ReplicaLagging|main|main-r1')).toMatchObject({ status: 'firing' });
    // Back and healthy: the primary resolves; its symptom stays held until then, and resolves after.
    await p.process([], t(50));
    await p.process([], t(60));
    expect(kinds(sns).slice(2)).toEqual(['resolved PrimaryUnreachable']);
    await p.process([], t(70));
    await p.process([], t(80));
    expect(kinds(sns).slice(2)).toEqual(['resolved PrimaryUnreachable', 'resolved ReplicaLagging']);
  });

  it('attaches the rebuild plan to a FIRING page retried after the paging channel refused it, as to the first attempt', async () => {
    const store = new MemoryStore();
    const sns = new Sink('sns');
    let plans = 0;
    const p = new Pager({
      store,
      sinks: [sns],
      policy: { resolveSamples: 2, repeatMs: 1_800_000 },
      silences: [],
      endpointOf: () => undefined,
      attach: async () => `Plan #${++plans}`,
    });
    sns.failing = true;
    await p.process([broken], t(0));
    sns.failing = false;
    await p.process([broken], t(10));
    expect(kinds(sns)).toEqual(['firing ReplicationBroken']);
    expect(sns.pages[0]!.text).toContain('Plan #2');
  });
});
