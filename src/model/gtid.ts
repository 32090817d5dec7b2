/**
 * GTID sets of both families, and the one question replwatch asks of them: which transactions
 * does a replica have that its primary never had (errant transactions)?
 */

/** MySQL: `uuid[:tag]:1-5:7` entries; the key is `uuid` or `uuid:tag` (8.4 tagged GTIDs). */
export type MysqlGtidSet = Map<string, Array<[number, number]>>;

export function parseMysqlGtidSet(text: string): MysqlGtidSet {
  const set: MysqlGtidSet = new Map();
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (!entry) continue;
    // MySQL prints a uuid once, then its untagged intervals, then each tag with its own:
    // `uuid:1-5:tag_a:1-3:tag_b:7`.
    const [uuid = '', ...rest] = entry.split(':');
    const base = uuid.toLowerCase();
    let key = base;
    for (const part of rest) {
      const m = /^(\d+)(?:-(\d+))?$/.exec(part);
      if (m) set.set(key, normalise([...(set.get(key) ?? []), [Number(m[1]), Number(m[2] ?? m[1])]]));
      else key = `${base}:${part.toLowerCase()}`;
    }
  }
  return set;
}

function normalise(intervals: Array<[number, number]>): Array<[number, number]> {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [];
  for (const [s, e] of sorted) {
    const last = out.at(-1);
    if (last && s <= last[1] + 1) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

function subtractIntervals(a: Array<[number, number]>, b: Array<[number, number]>): Array<[number, number]> {
  let rest = a.map(([s, e]) => [s, e] as [number, number]);
  for (const [bs, be] of b) {
    rest = rest.flatMap(([s, e]): Array<[number, number]> => {
      if (be < s || bs > e) return [[s, e]];
      const pieces: Array<[number, number]> = [];
      if (bs > s) pieces.push([s, bs - 1]);
      if (be < e) pieces.push([be + 1, e]);
      return pieces;
    });
  }
  return rest;
}

export function formatMysqlGtidSet(set: MysqlGtidSet): string {
  return [...set]
    .filter(([, iv]) => iv.length > 0)
    .map(([key, iv]) => `${key}:${iv.map(([s, e]) => (s === e ? `${s}` : `${s}-${e}`)).join(':')}`)
    .join(',');
}

/** MariaDB: `domain-server-seq` entries, as in @@gtid_binlog_state. */
export interface MariadbGtid {
  domain: number;
  serverId: number;
  seq: number;
}

export function parseMariadbGtidList(text: string): MariadbGtid[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const m = /^(\d+)-(\d+)-(\d+)$/.exec(s);
      if (!m) throw new Error(`not a MariaDB GTID: ${s}`);
      return { domain: Number(m[1]), serverId: Number(m[2]), seq: Number(m[3]) };
    });
}

export interface ErrantInput {
  flavor: 'mariadb' | 'mysql';
  replicaGtids: string;
  primaryGtids: string;
  /** The primary's own origin (MySQL server_uuid, MariaDB server_id as text). */
  primaryOrigin: string;
  /**
   * What reached the replica through its other channels (multi-source), not through the
   * primary: origins as `primaryOrigin` is given, and MariaDB domains.
   */
  otherSources?: { origins: string[]; domains: number[] };
}

/** Where the GTIDs of a set come from: MySQL uuid[:tag] keys, MariaDB server ids and domains. */
export function gtidSources(flavor: 'mariadb' | 'mysql', text: string): { origins: string[]; domains: number[] } {
  if (flavor === 'mysql') return { origins: [...parseMysqlGtidSet(text).keys()], domains: [] };
  const gtids = parseMariadbGtidList(text);
  return { origins: [...new Set(gtids.map((g) => String(g.serverId)))], domains: [...new Set(gtids.map((g) => g.domain))] };
}

/**
 * Transactions on the replica that the primary does not have. Those originating on the primary
 * itself are skipped, so that a caller reading the primary alongside its replicas (the runbook's
 * plan) does not take a replica ahead of that read for errant. Those from another source of a
 * multi-source replica are not the primary's to have.
 */
export function errantTransactions({ flavor, replicaGtids, primaryGtids, primaryOrigin, otherSources }: ErrantInput): string {
  const origins = [primaryOrigin, ...(otherSources?.origins ?? [])].map((o) => o.toLowerCase());
  if (flavor === 'mysql') {
    const replica = parseMysqlGtidSet(replicaGtids);
    const primary = parseMysqlGtidSet(primaryGtids);
    const errant: MysqlGtidSet = new Map();
    for (const [key, intervals] of replica) {
      if (origins.some((o) => key === o || key.startsWith(`${o}:`))) continue;
      const rest = subtractIntervals(intervals, primary.get(key) ?? []);
      if (rest.length > 0) errant.set(key, rest);
    }
    return formatMysqlGtidSet(errant);
  }
  const primary = parseMariadbGtidList(primaryGtids);
  const domains = new Set(otherSources?.domains ?? []);
  return parseMariadbGtidList(replicaGtids)
    .filter((g) => !origins.includes(String(g.serverId)) && !domains.has(g.domain))
    .filter((g) => !primary.some((p) => p.domain === g.domain && p.serverId === g.serverId && p.seq >= g.seq))
    .map((g) => `${g.domain}-${g.serverId}-${g.seq}`)
    .join(',');
}
