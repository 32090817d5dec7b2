/*
 * What the probes read, as the pure decision code (health/) receives it: the types live here, so
 * that health/ depends on model/ alone and never on the probes that do the I/O. (A MySQL server's
 * reading, ServerReading, is in observations.ts with the channels it holds.)
 */

/** Numbers from `stats`: the ones the health rules read. Missing ones are null. */
export interface NodeStats {
  version: string | null;
  pid: number | null;
  uptime: number | null;
  currConnections: number | null;
  evictions: number | null;
  listenDisabledNum: number | null;
  limitMaxbytes: number | null;
  bytes: number | null;
}

export type CanaryResult = 'ok' | 'mismatch' | 'not-stored';

export interface MemcacheReading {
  pool: string;
  target: string;
  reachable: boolean;
  error?: { code: string; message: string };
  /** Round trip of the canary `get`, on an open connection. */
  roundTripMs: number | null;
  stats?: NodeStats;
  canary?: CanaryResult;
  canaryDetail?: string;
  probeMs: number;
  /** Monotonic time of the reading, for rates between samples. */
  at: number;
}

/** An Aurora reader's lag as AWS last published it, or why there is none. */
export type AuroraLag = { lagSeconds: number; at: Date; earlierSeconds: number[] } | { error: string };
