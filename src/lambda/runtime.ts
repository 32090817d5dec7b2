import { Logger } from '@aws-lambda-powertools/logger';
import { loadConfig } from '../config/load';
import type { Config } from '../config/schema';
import { lambdaEnvironment } from './environment';

/**
 * What every replwatch Lambda shares: one logger and the config, read once per container from
 * the file bundled with the function (REPLWATCH_CONFIG).
 */
export const logger = new Logger({ serviceName: lambdaEnvironment.serviceName() });

let config: Promise<Config> | undefined;
export function lambdaConfig(): Promise<Config> {
  config ??= loadConfig(lambdaEnvironment.configFile());
  config.catch(() => {
    config = undefined;
  });
  return config;
}

/** Time as the sampling loop sees it: real in Lambda, virtual in the cost model. */
export interface Clock {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}
const realClock: Clock = { now: Date.now, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

/**
 * Runs `sample` every `everyMs` while the invocation has time for another one plus `reserveMs`
 * (EventBridge fires once a minute; this is how a check sees sub-minute faults). Always runs once.
 */
export async function sampleWhileTimeLeft(
  everyMs: number,
  remainingMs: () => number,
  reserveMs: number,
  sample: () => Promise<void>,
  clock: Clock = realClock,
): Promise<number> {
  let count = 0;
  for (;;) {
    const started = clock.now();
    await sample();
    count++;
    const wait = Math.max(0, everyMs - (clock.now() - started));
    if (remainingMs() < wait + everyMs + reserveMs) return count;
    await clock.sleep(wait);
  }
}
