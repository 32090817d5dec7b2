import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ScheduledEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseConfig } from '../../../src/config/load';
import { dispatch } from '../../../src/dispatch/dispatch';
import { ownedBy, shardConfig, shardCount } from '../../../src/dispatch/shards';
import { cli } from '../../support/cli';

const cluster = (name: string, replicas: number) => ({
  name,
  primary: { host: `${name}-p` },
  replicas: Array.from({ length: replicas }, (_, i) => ({ name: `${name}-r${i + 1}`, host: `${name}-h${i}` })),
  user: 'u',
  password: 'env:PW',
});
const fleet = {
  shardSize: 6,
  clusters: [cluster('a', 2), cluster('b', 2), cluster('c', 4), cluster('huge', 9)],
  memcache: [
    { name: 'sessions', nodes: Array.from({ length: 8 }, (_, i) => `10.0.1.${i}:11211`) },
    { name: 'disc', configEndpoint: 'cfg.example:11211' },
  ],
  network: [{ name: 'db', targets: Array.from({ length: 13 }, (_, i) => `10.0.2.${i}:3306`) }],
};
const config = parseConfig(stringify(fleet), 'fleet.yml');

describe('shards', () => {
  it('keep a cluster whole (its replicas are judged against its primary), packing clusters up to shardSize servers', () => {
    expect(shardCount(config, 'replication')).toBe(3);
    const names = [0, 1, 2].map((index) => shardConfig(config, 'replication', { index, count: 3 }).clusters.map((c) => c.name));
    // a (3) + b (3) = 6; c (5) alone; huge (10) alone even though it is over shardSize.
    expect(names).toEqual([['a', 'b'], ['c'], ['huge']]);
  });

  it('split memcache nodes and network targets, a discovery pool staying whole', () => {
    expect(shardCount(config, 'memcache')).toBe(2);
    const [m0, m1] = [0, 1].map((index) => shardConfig(config, 'memcache', { index, count: 2 }));
    expect(m0!.memcache.map((p) => [p.name, p.nodes?.length])).toEqual([['sessions', 6]]);
    expect(m1!.memcache.map((p) => [p.name, p.nodes?.length ?? p.configEndpoint])).toEqual([
      ['sessions', 2],
      ['disc', 'cfg.example:11211'],
    ]);
    expect(shardCount(config, 'network')).toBe(3);
    expect([0, 1, 2].map((index) => shardConfig(config, 'network', { index, count: 3 }).network[0]!.targets.length)).toEqual([6, 6, 1]);
  });

  it('hold no more network targets than one sample period can probe (8 at a time, each about a second)', () => {
    const targets = Array.from({ length: 200 }, (_, i) => `10.0.3.${i}:3306`);
    const network = (sampleSeconds: number) =>
      parseConfig(stringify({ sampleSeconds, network: [{ name: 'db', targets, probes: 100, timeoutMs: 300 }] }), 'net.yml');
    // 1.3 s a target (1 s of paced handshakes, the last waiting up to 300 ms) / 8 at once: 49 fit in 8 of 10 s.
    const tenSeconds = network(10);
    expect(shardCount(tenSeconds, 'network')).toBe(5);
    expect([0, 1, 2, 3, 4].map((index) => shardConfig(tenSeconds, 'network', { index, count: 5 }).network[0]!.targets.length)).toEqual([49, 49, 49, 49, 4]);
    // Sampled once a minute, the 200 fit (in 33 s), and shardSize decides.
    expect(shardCount(network(60), 'network')).toBe(1);
  });

  it('cover every target exactly once, and keep every other setting', () => {
    const all = [0, 1, 2].flatMap((index) => shardConfig(config, 'network', { index, count: 3 }).network[0]!.targets);
    expect(all).toEqual(fleet.network[0]!.targets);
    const { clusters: _c, memcache: _m, network: _n, ...settings } = shardConfig(config, 'replication', { index: 1, count: 3 });
    const { clusters: _c2, memcache: _m2, network: _n2, ...whole } = config;
    expect(settings).toEqual(whole);
  });

  it("own only their own targets: a worker never resolves another shard's alert", () => {
    const own = ownedBy(shardConfig(config, 'network', { index: 0, count: 3 }));
    expect(own({ cluster: 'db', target: '10.0.2.0:3306' })).toBe(true);
    expect(own({ cluster: 'db', target: '10.0.2.12:3306' })).toBe(false);
    const rep = ownedBy(shardConfig(config, 'replication', { index: 0, count: 3 }));
    expect([
      rep({ cluster: 'a', target: 'a-primary' }),
      rep({ cluster: 'b', target: 'b-r2' }),
      rep({ cluster: 'c', target: 'c-r1' }),
      rep({ cluster: 'huge', target: 'huge-primary' }),
    ]).toEqual([true, true, false, false]);
  });

  it('refuse a shard that does not match the config (changed between dispatch and work)', () => {
    expect(() => shardConfig(config, 'network', { index: 0, count: 4 })).toThrow(/does not match this config, which has 3 shard/);
  });

  it('below one shard, each check is one run with the whole fleet', async () => {
    const small = parseConfig(stringify({ ...fleet, shardSize: 200 }), 'small.yml');
    const seen: string[] = [];
    await dispatch(small, async (check, e) => void seen.push(`${check} ${e.shard.index + 1}/${e.shard.count}`));
    expect(seen.sort()).toEqual(['memcache 1/1', 'network 1/1', 'replication 1/1']);
    expect(shardConfig(small, 'replication', { index: 0, count: 1 }).clusters).toEqual(small.clusters);
  });
});

describe('replwatch shards', () => {
  it('prints the shards dispatch would start, each target in exactly one, as a table or JSON', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'rw-shards-')), 'fleet.yml');
    writeFileSync(file, stringify(fleet));
    const json = await cli('shards', '--config', file, '--json');
    expect(json.code).toBe(0);
    const plan = JSON.parse(json.stdout) as { shardSize: number; checks: Record<string, Array<{ index: number; count: number; targets: string[] }>> };
    expect(plan.shardSize).toBe(6);
    expect(Object.fromEntries(Object.entries(plan.checks).map(([check, shards]) => [check, shards.map((x) => x.targets.length)]))).toEqual({
      replication: [6, 5, 10],
      memcache: [6, 3],
      network: [6, 6, 1],
    });
    expect(plan.checks.replication![1]).toEqual({ index: 1, count: 3, targets: ['c/c-primary', 'c/c-r1', 'c/c-r2', 'c/c-r3', 'c/c-r4'] });
    expect(plan.checks.memcache![1]!.targets).toEqual(['sessions/10.0.1.6:11211', 'sessions/10.0.1.7:11211', 'disc/*']);
    const every = Object.values(plan.checks).flatMap((shards) => shards.flatMap((x) => x.targets));
    expect(new Set(every).size).toBe(every.length);
    expect(every).toHaveLength(21 + 9 + 13);
    const text = await cli('shards', '--config', file);
    expect(text.stdout).toContain('replication  2/3    5        c/c-primary .. c/c-r4');
    expect(text.stdout).toContain('8 worker run(s) a minute (shardSize 6, sampleSeconds 10)');
  });
});

describe('the dispatch Lambda (AWS mocked)', () => {
  it('starts one asynchronous worker run per shard, and reports the ones Lambda refused without stopping the rest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-dispatch-'));
    writeFileSync(join(dir, 'replwatch.yml'), stringify(fleet));
    process.env.REPLWATCH_CONFIG = join(dir, 'replwatch.yml');
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    process.env.CHECK_REPLICATION_FUNCTION = 'rw-checkReplication';
    process.env.CHECK_MEMCACHE_FUNCTION = 'rw-checkMemcache';
    process.env.CHECK_NETWORK_FUNCTION = 'rw-checkNetwork';
    const lambda = mockClient(LambdaClient);
    lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
    lambda.on(InvokeCommand, { FunctionName: 'rw-checkMemcache' }).rejects(new Error('TooManyRequestsException'));
    const { dispatchChecks } = await import('../../../functions/dispatch');
    await expect(dispatchChecks({} as ScheduledEvent)).rejects.toThrow(/2 worker invocation\(s\) failed: memcache 1\/2, memcache 2\/2/);
    const calls = lambda.commandCalls(InvokeCommand).map((c) => c.args[0].input);
    expect(calls).toHaveLength(3 + 2 + 3);
    expect(calls.every((c) => c.InvocationType === 'Event')).toBe(true);
    const payloads = calls.filter((c) => c.FunctionName === 'rw-checkNetwork').map((c) => JSON.parse(new TextDecoder().decode(c.Payload as Uint8Array)));
    expect(payloads.sort((x, y) => x.shard.index - y.shard.index)).toEqual([0, 1, 2].map((index) => ({ shard: { index, count: 3 } })));
    lambda.restore();
  });
});
