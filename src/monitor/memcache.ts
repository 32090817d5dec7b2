import { splitHostPort, type Config, type MemcachePoolConfig } from '../config/schema';
import type { Finding } from '../model/findings';
import type { MemcacheObservation } from '../model/observations';
import { analyseMemcacheNode } from '../health/memcache';
import type { MemcacheReading } from '../model/readings';
import { discoverNodes, MemcacheSessions, probeMemcacheNode, type MemcacheNode } from '../probes/memcache/probe';
import { createLimiter } from '../util/limiter';

/**
 * Samples every memcache pool: discovery (for configuration endpoints), probes, then analysis
 * against the node's previous reading. Sessions and previous readings live between samples.
 */
export class MemcacheChecker {
  private readonly sessions = new MemcacheSessions();
  private readonly previous = new Map<string, MemcacheReading>();
  private readonly limit: <T>(task: () => Promise<T>) => Promise<T>;

  constructor(private readonly config: Config) {
    this.limit = createLimiter(config.concurrency);
  }

  async sample(): Promise<{ findings: Finding[]; observations: MemcacheObservation[] }> {
    const pools = await Promise.all(this.config.memcache.map((p) => this.samplePool(p)));
    return { findings: pools.flatMap((p) => p.findings), observations: pools.flatMap((p) => p.observations) };
  }

  close(): void {
    this.sessions.closeAll();
  }

  private async nodesOf(pool: MemcachePoolConfig): Promise<MemcacheNode[]> {
    if (pool.nodes)
      return pool.nodes.map((n) => ({ pool: pool.name, name: n, address: splitHostPort(n).host, port: splitHostPort(n).port, timeoutMs: pool.timeoutMs }));
    const ep = splitHostPort(pool.configEndpoint!);
    const found = await discoverNodes(this.sessions, { name: `discovery/${pool.configEndpoint}`, address: ep.host, port: ep.port, timeoutMs: pool.timeoutMs });
    return found.map((n) => ({ pool: pool.name, name: n.name, address: n.address, port: n.port, timeoutMs: pool.timeoutMs }));
  }

  private async samplePool(pool: MemcachePoolConfig): Promise<{ findings: Finding[]; observations: MemcacheObservation[] }> {
    let nodes: MemcacheNode[];
    try {
      nodes = await this.nodesOf(pool);
    } catch (e) {
      const err = e as { code?: string; message?: string };
      const target = pool.configEndpoint!;
      return {
        observations: [{ kind: 'memcache', pool: pool.name, target, reachable: false, roundTripMs: null, error: `${err.code ?? 'ERROR'}: ${err.message}` }],
        findings: [
          {
            code: 'MemcacheUnreachable',
            severity: 'critical',
            cluster: pool.name,
            target,
            summary: `ElastiCache configuration endpoint ${target} did not list the pool's nodes: ${err.message}`,
            action: `check the configuration endpoint ${target} and the path to it`,
            details: { error: { code: err.code ?? 'ERROR', message: err.message } },
          },
        ],
      };
    }
    const results = await Promise.all(
      nodes.map((n) =>
        this.limit(async () => {
          const reading = await probeMemcacheNode(this.sessions, n);
          const key = `${pool.name}/${n.name}`;
          const analysis = analyseMemcacheNode(pool, reading, this.previous.get(key));
          this.previous.set(key, reading);
          return analysis;
        }),
      ),
    );
    return { findings: results.flatMap((r) => r.findings), observations: results.map((r) => r.observation) };
  }
}
