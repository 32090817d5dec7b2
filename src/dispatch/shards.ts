import { TARGETS_IN_FLIGHT } from '../monitor/network';
import { clusterServers, type Config } from '../config/schema';
import type { Finding } from '../model/findings';
import { paceMs } from '../probes/network/probe';
import type { CheckName } from '../sinks/cloudwatch';

/**
 * The share of a sample period a shard's probing may take. Network targets are what fills it: a
 * target's handshakes are paced over about a second (the last may wait out timeoutMs), and the
 * check probes TARGETS_IN_FLIGHT of them at a time, so 200 targets take about 25 s, and at
 * `sampleSeconds` 10 a shard of them would sample twice a minute instead of five times.
 */
const SAMPLE_SHARE = 0.8;

/** Which slice of a check's targets one worker invocation runs. */
export interface Shard {
  index: number;
  count: number;
}

/** A unit that cannot be split: a cluster (its replicas are judged against its primary), a discovery pool, one node or target. */
interface Unit {
  /** Targets, against `shardSize`. */
  weight: number;
  /** Seconds of a sample it takes, against the sample period (network targets only). */
  seconds?: number;
  take: (into: Config) => void;
}

function units(config: Config, check: CheckName): Unit[] {
  switch (check) {
    case 'replication':
      return config.clusters.map((c) => ({ weight: clusterServers(c).length, take: (into) => void into.clusters.push(c) }));
    case 'memcache':
      return config.memcache.flatMap((p) =>
        p.nodes
          ? p.nodes.map((n) => ({ weight: 1, take: (into: Config) => addNode(into, p, n) }))
          : [{ weight: 1, take: (into: Config) => void into.memcache.push(p) }],
      );
    case 'network':
      return config.network.flatMap((g) => [
        ...g.targets.map((t) => ({
          weight: 1,
          seconds: (g.probes * paceMs(g.probes) + g.timeoutMs) / 1000 / TARGETS_IN_FLIGHT,
          take: (into: Config) => addTarget(into, g, t),
        })),
        // AWS Network Monitor probes are read, not probed: one unit for the group.
        ...(g.awsNetworkMonitor ? [{ weight: 1, take: (into: Config) => addTarget(into, g, undefined) }] : []),
      ]);
  }
}

function addNode(into: Config, pool: Config['memcache'][number], node: string): void {
  const mine = into.memcache.find((p) => p.name === pool.name);
  if (mine) mine.nodes!.push(node);
  else into.memcache.push({ ...pool, nodes: [node] });
}

function addTarget(into: Config, group: Config['network'][number], target: string | undefined): void {
  let mine = into.network.find((g) => g.name === group.name);
  if (!mine) {
    mine = { ...group, targets: [], awsNetworkMonitor: undefined };
    into.network.push(mine);
  }
  if (target === undefined) mine.awsNetworkMonitor = group.awsNetworkMonitor;
  else mine.targets.push(target);
}

/**
 * Splits a check's targets, in config order, into consecutive shards of at most `shardSize`
 * targets whose probing fits in SAMPLE_SHARE of `sampleSeconds` (a unit larger than that is a
 * shard of its own). Pure and deterministic: the dispatcher and every worker compute the same
 * shards from the same config.
 */
function pack(config: Config, check: CheckName): Unit[][] {
  const budget = config.sampleSeconds * SAMPLE_SHARE;
  const shards: Unit[][] = [];
  let current: Unit[] = [];
  let weight = 0;
  let seconds = 0;
  for (const u of units(config, check)) {
    if (current.length && (weight + u.weight > config.shardSize || seconds + (u.seconds ?? 0) > budget)) {
      shards.push(current);
      current = [];
      weight = 0;
      seconds = 0;
    }
    current.push(u);
    weight += u.weight;
    seconds += u.seconds ?? 0;
  }
  if (current.length) shards.push(current);
  return shards;
}

/** How many worker invocations a check needs (0 when it has nothing to check). */
export function shardCount(config: Config, check: CheckName): number {
  return pack(config, check).length;
}

export const CHECKS: readonly CheckName[] = ['replication', 'memcache', 'network'];

/**
 * The checks dispatch starts workers for: those with something to check. Only these report
 * ChecksCompleted, so only these get a dead-man alarm (serverless.yml, scripts/fleet-checks.cjs).
 */
export function checksOf(config: Config): CheckName[] {
  return CHECKS.filter((check) => shardCount(config, check) > 0);
}

/** The config a worker runs for one shard: the same settings, only its slice of the targets. */
export function shardConfig(config: Config, check: CheckName, shard: Shard): Config {
  const shards = pack(config, check);
  if (shard.count !== shards.length || shard.index < 0 || shard.index >= shard.count) {
    throw new Error(
      `shard ${shard.index + 1}/${shard.count} of ${check} does not match this config, which has ${shards.length} shard(s): was the config changed between dispatch and work?`,
    );
  }
  const into: Config = { ...config, clusters: [], memcache: [], network: [] };
  for (const u of shards[shard.index]!) u.take(into);
  return into;
}

/**
 * The targets a (shard's) config holds, as `cluster/target` the way findings name them; a
 * discovery pool's nodes are known only once discovered, so the pool is `pool/*`.
 */
export function targetKeys(config: Config): string[] {
  return [
    ...config.clusters.flatMap((c) => clusterServers(c).map((s) => `${c.name}/${s.name}`)),
    ...config.memcache.flatMap((p) => [...(p.nodes ?? []).map((n) => `${p.name}/${n}`), ...(p.configEndpoint ? [`${p.name}/*`] : [])]),
    ...config.network.flatMap((g) => [...g.targets, ...Object.keys(g.awsNetworkMonitor?.probes ?? {})].map((t) => `${g.name}/${t}`)),
  ];
}

/** The shards of a check, each with the targets it holds: what `replwatch shards` prints. */
export function shardPlan(config: Config, check: CheckName): Array<Shard & { targets: string[] }> {
  const count = shardCount(config, check);
  return Array.from({ length: count }, (_, index) => ({ index, count, targets: targetKeys(shardConfig(config, check, { index, count })) }));
}

/**
 * Whether an alert belongs to this shard's config: a worker resolves only its own alerts, never
 * another shard's (they are simply not in its findings).
 */
export function ownedBy(config: Config): (f: Pick<Finding, 'cluster' | 'target'>) => boolean {
  const keys = new Set(targetKeys(config));
  return (f) => keys.has(`${f.cluster}/${f.target}`) || keys.has(`${f.cluster}/*`);
}
