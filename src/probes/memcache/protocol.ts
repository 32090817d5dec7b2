import type { NodeStats } from '../../model/readings';

/**
 * The few replies of memcached's text protocol that a health probe reads, parsed from a byte
 * buffer that may hold a partial reply (TCP delivers in any chunks). Pure; fuzzed in tests.
 * Client libraries hide raw stats and per-operation deadlines, which a probe needs.
 */
export type ReplyShape = 'line' | 'stats' | 'values';

export interface StoredValue {
  key: string;
  flags: number;
  data: Buffer;
}

export type Reply =
  | { kind: 'line'; line: string }
  | { kind: 'stats'; stats: Map<string, string> }
  | { kind: 'values'; values: StoredValue[] }
  | { kind: 'error'; message: string };

export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

const CRLF = Buffer.from('\r\n');
const MAX_LINE = 8192;

function errorReply(line: string): Reply | undefined {
  if (line === 'ERROR' || line.startsWith('SERVER_ERROR') || line.startsWith('CLIENT_ERROR')) return { kind: 'error', message: line };
  return undefined;
}

/** One CRLF-terminated line at `from`, or undefined when it has not all arrived. */
function lineAt(buf: Buffer, from: number): { line: string; next: number } | undefined {
  const end = buf.indexOf(CRLF, from);
  if (end < 0) {
    if (buf.length - from > MAX_LINE) throw new ProtocolError('reply line too long');
    return undefined;
  }
  return { line: buf.subarray(from, end).toString('latin1'), next: end + 2 };
}

/**
 * Parses one complete reply of the expected shape from the start of `buf`. Returns the reply
 * and the bytes it used, or undefined when more bytes are needed; throws ProtocolError on a
 * reply that cannot be valid.
 */
export function parseReply(buf: Buffer, shape: ReplyShape): { reply: Reply; used: number } | undefined {
  const first = lineAt(buf, 0);
  if (!first) return undefined;
  const err = errorReply(first.line);
  if (err) return { reply: err, used: first.next };
  if (shape === 'line') return { reply: { kind: 'line', line: first.line }, used: first.next };

  if (shape === 'stats') {
    // A Map: a node may name a stat `__proto__` (the fuzzer did).
    const stats = new Map<string, string>();
    let at: { line: string; next: number } | undefined = first;
    while (at) {
      if (at.line === 'END') return { reply: { kind: 'stats', stats }, used: at.next };
      const m = /^STAT (\S+) ?(.*)$/.exec(at.line);
      if (!m) throw new ProtocolError(`unexpected line in stats: ${JSON.stringify(at.line.slice(0, 80))}`);
      stats.set(m[1]!, m[2]!);
      at = lineAt(buf, at.next);
    }
    return undefined;
  }

  // values: (VALUE|CONFIG) <key> <flags> <bytes>\r\n<data>\r\n ... END\r\n
  const values: StoredValue[] = [];
  let at: { line: string; next: number } | undefined = first;
  while (at) {
    if (at.line === 'END') return { reply: { kind: 'values', values }, used: at.next };
    const m = /^(?:VALUE|CONFIG) (\S+) (\d+) (\d+)(?: \d+)?$/.exec(at.line);
    if (!m) throw new ProtocolError(`unexpected line in value reply: ${JSON.stringify(at.line.slice(0, 80))}`);
    const bytes = Number(m[3]);
    if (bytes > 64 * 1024 * 1024) throw new ProtocolError(`value of ${bytes} bytes is larger than a probe reads`);
    const dataEnd = at.next + bytes;
    if (buf.length < dataEnd + 2) return undefined;
    if (buf[dataEnd] !== 0x0d || buf[dataEnd + 1] !== 0x0a) throw new ProtocolError('value data not followed by CRLF');
    values.push({ key: m[1]!, flags: Number(m[2]), data: buf.subarray(at.next, dataEnd) });
    at = lineAt(buf, dataEnd + 2);
  }
  return undefined;
}

export function nodeStats(stats: Map<string, string>): NodeStats {
  const num = (k: string) => {
    const v = stats.get(k);
    return v === undefined || !/^\d+$/.test(v) ? null : Number(v);
  };
  return {
    version: stats.get('version') ?? null,
    pid: num('pid'),
    uptime: num('uptime'),
    currConnections: num('curr_connections'),
    evictions: num('evictions'),
    listenDisabledNum: num('listen_disabled_num'),
    limitMaxbytes: num('limit_maxbytes'),
    bytes: num('bytes'),
  };
}

/**
 * ElastiCache auto discovery: the payload of `config get cluster` (engine 1.4.14+) or of
 * `get AmazonElastiCache:cluster` (older): a config version line, then `host|ip|port` entries
 * separated by spaces. Nodes are named `host:port` and dialled at their IP when one is given.
 */
export interface DiscoveredNode {
  name: string;
  address: string;
  port: number;
}

export function parseClusterConfig(payload: string): { configVersion: number; nodes: DiscoveredNode[] } {
  const lines = payload.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length < 2 || !/^\d+$/.test(lines[0]!.trim())) throw new ProtocolError('cluster config: expected a version line and a node list');
  // A node listed twice is probed once: two probes of it would share its session.
  const nodes = new Map<string, DiscoveredNode>();
  for (const entry of lines[1]!.trim().split(/\s+/)) {
    const [host, ip, port] = entry.split('|');
    if (!host || port === undefined || !/^\d+$/.test(port)) throw new ProtocolError(`cluster config: bad node entry ${JSON.stringify(entry)}`);
    const name = `${host}:${port}`;
    if (!nodes.has(name)) nodes.set(name, { name, address: ip || host, port: Number(port) });
  }
  return { configVersion: Number(lines[0]), nodes: [...nodes.values()] };
}
