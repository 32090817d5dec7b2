import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import type { Page } from '../../../src/alerting/page';
import { pagerFor } from '../../../src/monitor/paging';
import { StoreWatchedPager } from '../../../src/monitor/storeOutage';
import { parseConfig } from '../../../src/config/load';
import { SecretResolver } from '../../../src/config/secrets';
import type { Finding } from '../../../src/model/findings';
import type { PageSink } from '../../../src/sinks/pages';
import { DynamoStore } from '../../../src/state/dynamodb';
import { FileStore } from '../../../src/state/file';
import { StateStoreError } from '../../../src/state/schema';
import type { StateStore } from '../../../src/state/store';
import { cli } from '../../support/cli';
import { fakeDynamoTable } from '../../support/fakeDynamo';

const config = parseConfig('network:\n  - { name: n, targets: ["h:1"] }\n', 'x.yml');
const broken: Finding = {
  code: 'ReplicationBroken',
  severity: 'critical',
  cluster: 'main',
  target: 'main-r1',
  summary: 'SQL thread stopped: 1062',
  details: {},
};
const t = (s: number) => new Date(Date.parse('2026-11-22T10:00:00Z') + s * 1000);

function recorder(name = 'console') {
  const pages: Page[] = [];
  const sink: PageSink = { name, send: async (p) => void pages.push(p) };
  return { sink, log: () => pages.map((p) => `${p.kind} ${p.code}`) };
}

/** Four samples of a sticky fault through `store`: it must page FIRING once, whatever the store held. */
async function pagesOf(store: StateStore): Promise<string[]> {
  const { sink, log } = recorder();
  const pager = pagerFor({ config, store, sinks: [sink], secrets: new SecretResolver({}) });
  for (const s of [0, 10, 20, 30]) await pager.process([broken], t(s));
  return log();
}

const DAMAGED: Array<[string, string, string]> = [
  ['garbage', 'not json {', 'not JSON'],
  ['an empty file', '', 'the file is empty'],
  [
    'alerts as a list (every write was lost, so every sample paged FIRING)',
    '{"alerts": [], "silences": [], "locks": {}}',
    'alerts: Invalid input: expected record, received array',
  ],
  [
    'an alert that is a number (never paged, said nothing)',
    '{"alerts": {"K": 5}, "silences": [], "locks": {}}',
    'alerts.K: Invalid input: expected object, received number',
  ],
  [
    'a hand-written silence of everything (held every page)',
    JSON.stringify({ alerts: {}, silences: [{ id: 'x', from: '2020-01-01T00:00:00Z', to: '2099-01-01T00:00:00Z', reason: 'quiet' }], locks: {} }),
    'silences[0]: name at least one of cluster, target, code',
  ],
];

describe('a damaged state file (issue 12)', () => {
  for (const [what, text, problem] of DAMAGED) {
    it(`${what}: moved aside (kept), said once, a fresh state started, and the fault pages once`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'rw-damaged-'));
      const file = join(dir, 'state.json');
      writeFileSync(file, text);
      const notices: string[] = [];
      const store = new FileStore(file, (line) => notices.push(line));
      expect(await pagesOf(store)).toEqual(['firing ReplicationBroken']);
      expect(notices).toHaveLength(1);
      const aside = readdirSync(dir).find((f) => f.startsWith('state.json.damaged-'))!;
      expect(notices[0]).toContain(`${file} is not a valid state file (${problem}`);
      expect(notices[0]).toContain(`moved aside to ${join(dir, aside)} (kept), and a fresh state started`);
      expect(readFileSync(join(dir, aside), 'utf8')).toBe(text);
      expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')).alerts)).toEqual(['ReplicationBroken|main|main-r1']);
    });
  }

  it('keeps a valid state as it is, fields it does not know included, locks of any shape, and a file from before locks', async () => {
    const old = join(mkdtempSync(join(tmpdir(), 'rw-valid-')), 'state.json');
    writeFileSync(old, '{"alerts": {}, "silences": []}');
    const quiet: string[] = [];
    expect(await new FileStore(old, (l) => quiet.push(l)).listSilences()).toEqual([]);
    expect(quiet).toEqual([]);
    const dir = mkdtempSync(join(tmpdir(), 'rw-valid-'));
    const file = join(dir, 'state.json');
    writeFileSync(file, JSON.stringify({ alerts: {}, silences: [], locks: { 'rebuild/main': { holder: 'x', lease: { until: 'later' } } }, future: 1 }));
    const notices: string[] = [];
    await pagesOf(new FileStore(file, (l) => notices.push(l)));
    expect(notices).toEqual([]);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ locks: { 'rebuild/main': { holder: 'x', lease: { until: 'later' } } }, future: 1 });
  });
});

describe('a damaged state file holding rebuild locks', () => {
  const lock = { owner: 'ops@db1 pid 4242 #abc123', expiresAt: new Date(Date.now() + 600_000).toISOString(), startedAt: new Date().toISOString() };
  const dead = {
    owner: 'ops@db1 pid 4141 #def456',
    expiresAt: '2020-01-01T00:00:00Z',
    checkpoint: { version: 1, strategy: 'logical', replica: 'main-r1', step: 'copy', tablesDone: ['app.t1'] },
  };

  it('its JSON parses: set aside, and every lock (a live lease, a dead rebuild and its checkpoint) is carried into the fresh state', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-damaged-lock-'));
    const file = join(dir, 'state.json');
    writeFileSync(file, JSON.stringify({ alerts: { K: 5 }, silences: [], locks: { 'rebuild/main': lock, 'rebuild/other': dead, junk: 7 } }));
    const notices: string[] = [];
    const store = new FileStore(file, (l) => notices.push(l));
    expect(await store.acquireLock('rebuild/main', 'me', new Date(Date.now() + 60_000), new Date())).toBeUndefined();
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain('moved aside to');
    expect(notices[0]).toContain('with its rebuild locks (rebuild/main, rebuild/other)');
    expect(await store.readLock('rebuild/other')).toEqual(dead);
    expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')).locks)).toEqual(['rebuild/main', 'rebuild/other']);
  });

  const cut: Array<[string, string, string]> = [
    ['a live lease', JSON.stringify({ locks: { 'rebuild/main': lock }, alerts: {} }).slice(0, -10), `a lock until ${lock.expiresAt}`],
    ["a dead rebuild's checkpoint", JSON.stringify({ locks: { 'rebuild/main': dead }, alerts: {} }).slice(0, -10), 'a checkpoint'],
  ];
  for (const [what, text, named] of cut) {
    it(`cut short (not JSON) around ${what}: refused, loudly, naming the file, what it holds, and how to go on; the file stays`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'rw-damaged-lock-'));
      const file = join(dir, 'state.json');
      writeFileSync(file, text);
      const notices: string[] = [];
      const store = new FileStore(file, (l) => notices.push(l));
      const refusal = await store.acquireLock('rebuild/main', 'me', new Date(Date.now() + 60_000), new Date()).catch((e: unknown) => e);
      expect(refusal).toBeInstanceOf(StateStoreError);
      const message = (refusal as Error).message;
      expect(message).toContain(`${file} is damaged (`);
      expect(message).toContain(`holds rebuild state that cannot be read out of it (${named})`);
      expect(message).toContain(`move it aside: mv ${file} ${file}.damaged`);
      expect(message).not.toContain('\n');
      expect(readFileSync(file, 'utf8')).toBe(text);
      expect(readdirSync(dir)).toEqual(['state.json']);
      expect(notices).toEqual([]);
    });
  }

  it('a lapsed lease without a checkpoint in a cut-short file does not stop it being set aside', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-damaged-lock-'));
    const file = join(dir, 'state.json');
    writeFileSync(file, JSON.stringify({ alerts: {}, locks: { 'rebuild/main': { ...lock, expiresAt: '2020-01-01T00:00:00Z' } } }).slice(0, -5));
    const notices: string[] = [];
    expect(await new FileStore(file, (l) => notices.push(l)).listSilences()).toEqual([]);
    expect(notices[0]).toContain('moved aside to');
  });

  it('is left as it is by a command that only reads (check, a plan): an error naming it, nothing renamed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-damaged-ro-'));
    const file = join(dir, 'state.json');
    writeFileSync(file, '{garbage');
    const notices: string[] = [];
    const err = await new FileStore(file, (l) => notices.push(l), { readOnly: true }).snapshot('rebuild/').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StateStoreError);
    expect((err as Error).message).toBe(
      `${file} is not a valid state file (not JSON): left as it is, as this command only reads; replwatch watch or a rebuild sets it aside`,
    );
    expect(readdirSync(dir)).toEqual(['state.json']);
    expect(notices).toEqual([]);
  });

  it('is reported by check as StateUnreadable beside its other findings, and left where it is', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-damaged-check-'));
    const state = join(dir, 'state.json');
    writeFileSync(state, '{garbage');
    const fleet = join(dir, 'fleet.yml');
    writeFileSync(fleet, 'network:\n  - { name: main, targets: ["127.0.0.1:9"] }\n');
    const r = await cli('check', '--config', fleet, '--state', state, '--json');
    const report = JSON.parse(r.stdout) as { findings: Finding[]; observations: Array<{ kind: string }> };
    expect(report.findings.map((f) => `${f.code} ${f.target}`)).toContain(`StateUnreadable ${state}`);
    // The fleet was still checked.
    expect(report.observations.map((o) => o.kind)).toContain('network');
    expect(readdirSync(dir).sort()).toEqual(['fleet.yml', 'state.json']);
  });

  it('a lock without a lease end (`{}`, a hand edit) has lapsed: it does not hold its cluster forever', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'rw-lock-shape-')), 'state.json');
    writeFileSync(file, JSON.stringify({ alerts: {}, silences: [], locks: { 'rebuild/main': {}, 'rebuild/b': { owner: 'x', expiresAt: 'soon' } } }));
    const store = new FileStore(file);
    expect(await store.acquireLock('rebuild/main', 'me', new Date(Date.now() + 60_000), new Date())).toMatchObject({ owner: 'me' });
    expect(await store.acquireLock('rebuild/b', 'me', new Date(Date.now() + 60_000), new Date())).toMatchObject({ owner: 'me' });
  });
});

describe('a state file whose directory is missing', () => {
  it('is a StateStoreError naming the directory; only the last level (.replwatch) is ever made', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-state-parent-'));
    const deep = join(dir, 'a', 'b', 'state.json');
    await expect(new FileStore(deep).listSilences()).resolves.toEqual([]);
    await expect(
      new FileStore(deep).addSilence({ id: 'x', cluster: 'c', from: '2026-01-01T00:00:00Z', to: '2099-01-01T00:00:00Z', reason: 'r' }),
    ).rejects.toThrow(`${join(dir, 'a', 'b')}: the state file's directory cannot be made: ${join(dir, 'a')} does not exist`);
    expect(readdirSync(dir)).toEqual([]);
    const beside = join(dir, '.replwatch', 'state.json');
    await new FileStore(beside).addSilence({ id: 'x', cluster: 'c', from: '2026-01-01T00:00:00Z', to: '2099-01-01T00:00:00Z', reason: 'r' });
    expect(await new FileStore(beside).listSilences()).toHaveLength(1);
  });
});

describe('a state store that cannot be read or written (issue 12)', () => {
  it('is a StateStoreError naming the file, and a StateUnreadable finding paged once per outage without the store, resolved when it answers again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-unreadable-'));
    const file = join(dir, 'state.json');
    // A directory where the file should be: EISDIR for root as for anyone (EACCES is not, for root).
    mkdirSync(file);
    const store = new FileStore(file);
    await expect(store.loadAlerts()).rejects.toThrow(StateStoreError);
    await expect(store.loadAlerts()).rejects.toThrow(`${file}: cannot read the state file (EISDIR: illegal operation on a directory, read)`);
    const { sink, log } = recorder();
    const pager = new StoreWatchedPager(
      pagerFor({ config, store, sinks: [sink], secrets: new SecretResolver({}) }),
      file,
      config,
      [sink],
      new SecretResolver({}),
    );
    const samples = [];
    for (const s of [0, 10, 20]) samples.push(await pager.process([broken], t(s)));
    expect(samples.map((r) => r.unreadable?.code)).toEqual(['StateUnreadable', 'StateUnreadable', 'StateUnreadable']);
    expect(samples[0]!.unreadable).toMatchObject({ severity: 'critical', cluster: 'replwatch', target: file });
    expect(samples[0]!.unreadable!.summary).toBe(
      `paging is off: the alert state ${file} cannot be read or written: ${file}: cannot read the state file (EISDIR: illegal operation on a directory, read)`,
    );
    expect(samples.map((r) => r.sent.length)).toEqual([1, 0, 0]);
    rmSync(file, { recursive: true });
    for (const s of [30, 40, 50]) await pager.process([broken], t(s));
    expect(log()).toEqual(['firing StateUnreadable', 'firing ReplicationBroken', 'resolved StateUnreadable']);
  });

  it('makes silence add, list and remove exit 3 with one line', async () => {
    const state = join(mkdtempSync(join(tmpdir(), 'rw-unreadable-')), 'state.json');
    mkdirSync(state);
    const config = join(dirname(state), 'fleet.yml');
    writeFileSync(config, 'network:\n  - { name: main, targets: ["127.0.0.1:9"] }\n');
    for (const args of [['add', '--config', config, '--cluster', 'main', '--reason', 'x'], ['list'], ['remove', 'abc']]) {
      const r = await cli('silence', ...args, '--state', state);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(new RegExp(`^replwatch: ${state}: cannot (read|lock) the state file \\(E\\w+: [^\\n]*\\)\\n+$`));
    }
  });
});

describe('DynamoDB items that are not valid state (issue 12)', () => {
  it('are skipped, said once, and an alert of a skipped key is paged and replaces it', async () => {
    const table = fakeDynamoTable();
    try {
      table.items.set('alert#ReplicationBroken|main|main-r1', {
        pk: 'alert#ReplicationBroken|main|main-r1',
        kind: 'alert',
        key: 'ReplicationBroken|main|main-r1',
        version: 3,
        state: { status: 'firing' },
      });
      table.items.set('silence#all', {
        pk: 'silence#all',
        kind: 'silence',
        silence: { id: 'all', from: '2020-01-01T00:00:00Z', to: '2099-01-01T00:00:00Z', reason: 'x' },
      });
      const warnings: string[] = [];
      const store = new DynamoStore(new DynamoDBClient({ region: 'us-east-1' }), 'state', (l) => warnings.push(l));
      expect(await store.listSilences()).toEqual([]);
      expect(await pagesOf(store)).toEqual(['firing ReplicationBroken']);
      expect(warnings).toHaveLength(2);
      expect(warnings[0]).toMatch(
        /^replwatch: DynamoDB table state: item silence#all is not a valid silence \(silence: name at least one of cluster, target, code/,
      );
      expect(warnings[1]).toMatch(
        /^replwatch: DynamoDB table state: item alert#ReplicationBroken\|main\|main-r1 is not a valid alert \(state\.key: .*\): skipped until a new alert of its key replaces it; it held \{/,
      );
      expect(table.items.get('alert#ReplicationBroken|main|main-r1')).toMatchObject({ state: { key: 'ReplicationBroken|main|main-r1', status: 'firing' } });
    } finally {
      table.mock.restore();
    }
  });
});
