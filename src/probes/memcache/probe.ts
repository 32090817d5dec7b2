import { randomBytes } from 'node:crypto';
import type { CanaryResult, MemcacheReading } from '../../model/readings';
import type { DiscoveredNode } from './protocol';
import { nodeStats, parseClusterConfig, ProtocolError } from './protocol';
import { MemcacheSession } from './session';

export interface MemcacheNode {
  pool: string;
  /** `host:port`, as targets are named. */
  name: string;
  address: string;
  port: number;
  timeoutMs: number;
}

/**
 * Sessions per pool and node, reused across samples; a failed one is closed and dialled afresh
 * next time. The opening itself is cached, so two callers never dial one key twice (and never
 * orphan a socket that closeAll cannot reach). A node in two pools gets a session per pool: a
 * session takes one request at a time, and the pools are probed at once.
 */
export class MemcacheSessions {
  private readonly open = new Map<string, Promise<MemcacheSession>>();

  async get(node: Pick<MemcacheNode, 'name' | 'address' | 'port' | 'timeoutMs'> & { pool?: string }): Promise<MemcacheSession> {
    const key = `${node.pool ?? ''}/${node.name}@${node.address}:${node.port}`;
    for (let cached = this.open.get(key); cached; cached = this.open.get(key)) {
      const s = await cached.catch(() => undefined);
      if (s?.alive) return s;
      if (this.open.get(key) === cached) {
        this.open.delete(key);
        s?.close();
      }
    }
    const opening = MemcacheSession.open(node.address, node.port, node.timeoutMs);
    this.open.set(key, opening);
    return opening;
  }

  closeAll(): void {
    for (const opening of this.open.values())
      void opening.then(
        (s) => s.close(),
        () => undefined,
      );
    this.open.clear();
  }
}

// Unique to this process, so two monitors never read each other's canary.
const CANARY_PREFIX = `replwatch:canary:${randomBytes(6).toString('hex')}`;
const CANARY_TTL_SECONDS = 60;

/**
 * version, stats and a canary set/get/delete on one node, each under the node's deadline. Never
 * throws: a refused, reset or silent node comes back as `reachable: false` with the reason.
 */
export async function probeMemcacheNode(sessions: MemcacheSessions, node: MemcacheNode): Promise<MemcacheReading> {
  const started = performance.now();
  const base = { pool: node.pool, target: node.name, at: started };
  const t = node.timeoutMs;
  try {
    const s = await sessions.get(node);
    const version = await s.request('version\r\n', 'line', t);
    if (version.kind !== 'line' || !version.line.startsWith('VERSION ')) throw new ProtocolError(`version: unexpected reply ${JSON.stringify(version)}`);
    const stats = await s.request('stats\r\n', 'stats', t);
    if (stats.kind !== 'stats') throw new ProtocolError('stats: unexpected reply');

    const key = `${CANARY_PREFIX}:${node.pool}`;
    const value = `${Date.now()}:${randomBytes(8).toString('hex')}`;
    const set = await s.request(`set ${key} 0 ${CANARY_TTL_SECONDS} ${Buffer.byteLength(value)}\r\n${value}\r\n`, 'line', t);
    let canary: CanaryResult = 'ok';
    let canaryDetail: string | undefined;
    if (set.kind !== 'line' || set.line !== 'STORED') {
      canary = 'not-stored';
      canaryDetail = set.kind === 'error' ? set.message : set.kind === 'line' ? set.line : 'unexpected reply';
    }
    const getStarted = performance.now();
    const got = await s.request(`get ${key}\r\n`, 'values', t);
    const roundTripMs = performance.now() - getStarted;
    if (canary === 'ok') {
      const data = got.kind === 'values' ? got.values.find((v) => v.key === key)?.data.toString('latin1') : undefined;
      if (data !== value) {
        canary = 'mismatch';
        canaryDetail =
          data === undefined ? 'stored value was not found right after set' : `read back ${JSON.stringify(data.slice(0, 40))}, wrote ${JSON.stringify(value)}`;
      }
    }
    const del = await s.request(`delete ${key}\r\n`, 'line', t);
    if (del.kind === 'error') throw new ProtocolError(`delete: ${del.message}`);
    return {
      ...base,
      reachable: true,
      roundTripMs,
      stats: nodeStats(stats.stats),
      canary,
      ...(canaryDetail ? { canaryDetail } : {}),
      probeMs: performance.now() - started,
    };
  } catch (e) {
    const err = e as { code?: string; message?: string };
    return {
      ...base,
      reachable: false,
      roundTripMs: null,
      error: { code: err.code ?? 'ERROR', message: err.message ?? String(e) },
      probeMs: performance.now() - started,
    };
  }
}

/** Asks an ElastiCache configuration endpoint for the pool's nodes. */
export async function discoverNodes(
  sessions: MemcacheSessions,
  endpoint: { name: string; address: string; port: number; timeoutMs: number },
): Promise<DiscoveredNode[]> {
  const s = await sessions.get(endpoint);
  let reply = await s.request('config get cluster\r\n', 'values', endpoint.timeoutMs);
  if (reply.kind === 'error') reply = await s.request('get AmazonElastiCache:cluster\r\n', 'values', endpoint.timeoutMs);
  if (reply.kind !== 'values' || reply.values.length === 0)
    throw new ProtocolError(`${endpoint.name} is not an ElastiCache configuration endpoint (no cluster config)`);
  return parseClusterConfig(reply.values[0]!.data.toString('latin1')).nodes;
}
