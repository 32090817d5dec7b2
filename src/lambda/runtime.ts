import { Logger } from '@aws-lambda-powertools/logger';
import { loadConfig } from '../config/load';
import type { Config } from '../config/schema';

/**
 * What every replwatch Lambda shares: one logger and the config, read once per container from
 * the file bundled with the function (REPLWATCH_CONFIG).
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'replwatch' });

let config: Promise<Config> | undefined;
export function lambdaConfig(): Promise<Config> {
  config ??= loadConfig(process.env.REPLWATCH_CONFIG ?? 'replwatch.yml');
  config.catch(() => {
    config = undefined;
  });
  return config;
}

export const metricsNamespace = (): string => process.env.METRICS_NAMESPACE ?? 'Replwatch';

/**
 * Runs `sample` every `everyMs` while the invocation has time for another one plus `reserveMs`
 * (EventBridge fires once a minute; this is how a check sees sub-minute faults). Always runs once.
 */
export async function sampleWhileTimeLeft(everyMs: number, remainingMs: () => number, reserveMs: number, sample: () => Promise<void>): Promise<number> {
  let count = 0;
  for (;;) {
    const started = Date.now();
    await sample();
    count++;
    const wait = Math.max(0, everyMs - (Date.now() - started));
    if (remainingMs() < wait + everyMs + reserveMs) return count;
    await new Promise((r) => setTimeout(r, wait));
  }
}
