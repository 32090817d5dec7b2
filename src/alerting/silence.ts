import type { Finding } from '../model/findings';

/** A maintenance window: findings matching every field given are not paged from `from` to `to`. */
export interface Silence {
  id: string;
  cluster?: string;
  target?: string;
  code?: string;
  /** Only these codes (a primary's recovery hold: its replicas' reconnect and catch-up). */
  codes?: string[];
  /** Codes it does not hold even where it matches (a rebuild's silence: its own RebuildFailed). */
  exceptCodes?: string[];
  from: string;
  to: string;
  reason: string;
  createdBy?: string;
  /** A recovery hold's count of samples in a row that found none of what it holds. */
  quietSamples?: number;
}

export function silenceMatches(s: Silence, f: Pick<Finding, 'cluster' | 'target' | 'code'>, now: Date): boolean {
  const t = now.getTime();
  if (t < Date.parse(s.from) || t >= Date.parse(s.to)) return false;
  return (
    (s.cluster === undefined || s.cluster === f.cluster) &&
    (s.target === undefined || s.target === f.target) &&
    (s.code === undefined || s.code === f.code) &&
    (s.codes === undefined || s.codes.includes(f.code)) &&
    !s.exceptCodes?.includes(f.code)
  );
}

export function activeSilence(silences: Silence[], f: Pick<Finding, 'cluster' | 'target' | 'code'>, now: Date): Silence | undefined {
  return silences.find((s) => silenceMatches(s, f, now));
}

/** `90m`, `2h`, `1d`, `45s` -> milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) throw new Error(`not a duration: ${JSON.stringify(text)} (use e.g. 500ms, 10s, 90m, 2h, 1d)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}
