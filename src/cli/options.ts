import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../alerting/silence';

/**
 * A duration option (`500ms`, `10s`, `2h`) as milliseconds, at least `minMs`: commander reports
 * anything else as one usage line (exit 3) before the command starts.
 */
export function durationOption(minMs: number, why: string): (text: string) => number {
  return (text) => {
    let ms: number;
    try {
      ms = parseDuration(text);
    } catch {
      throw new InvalidArgumentError('expected a duration such as 500ms, 10s, 90m, 2h, 1d.');
    }
    if (ms < minMs) throw new InvalidArgumentError(`at least ${minMs < 1000 ? `${minMs}ms` : `${minMs / 1000}s`}: ${why}.`);
    return ms;
  };
}

/** A whole-number option of at least `min`. */
export function countOption(min: number): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (!/^\s*\d+\s*$/.test(text) || n < min) throw new InvalidArgumentError(`expected a whole number of at least ${min}.`);
    return n;
  };
}

/** How often `watch` and `start` may sample: more often would hammer the servers being watched. */
export const SAMPLE_EVERY_MIN_MS = 250;
