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

/** A whole-number option of at least `min` (and at most `max`). */
export function countOption(min: number, max = Number.POSITIVE_INFINITY): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (!/^\s*\d+\s*$/.test(text) || n < min || n > max)
      throw new InvalidArgumentError(
        max === Number.POSITIVE_INFINITY ? `expected a whole number of at least ${min}.` : `expected a whole number from ${min} to ${max}.`,
      );
    return n;
  };
}

/** How often `watch` and `start` may sample: more often would hammer the servers being watched. */
export const SAMPLE_EVERY_MIN_MS = 250;

/** The fleet config option every command that reads the fleet takes, worded once. */
export const CONFIG_OPTION = ['--config <file>', 'config file, YAML or JSON (default: $REPLWATCH_CONFIG, else replwatch.yml)'] as const;
