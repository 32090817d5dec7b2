import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { pagerFor } from '../check/paging';
import { SecretResolver } from '../config/secrets';
import type { Pager } from '../check/pager';
import { CODES_BY_CHECK, type Finding } from '../model/findings';
import { SnsPageSink, type PageSink } from '../sinks/pages';
import type { CheckName } from '../sinks/cloudwatch';
import { DynamoStore } from '../state/dynamodb';
import { MemoryStore, type StateStore } from '../state/store';
import { loadConfig } from '../config/load';
import type { WorkerEvent } from '../dispatch/dispatch';
import { ownedBy, shardConfig } from '../dispatch/shards';
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

// Created once per container, outside the handlers.
let dynamodb: DynamoDBClient | undefined;
let sns: SNSClient | undefined;
let fallbackStore: MemoryStore | undefined;

/**
 * The pager of one check's Lambda: alert state in the STATE_TABLE DynamoDB table, pages to the
 * PAGES_TOPIC_ARN topic (or the config's), and every page in the function's log as well.
 */
export function lambdaPager(config: Config, check: CheckName, scope?: (f: Pick<Finding, 'cluster' | 'target'>) => boolean): Pager {
  let store: StateStore;
  if (process.env.STATE_TABLE) {
    store = new DynamoStore((dynamodb ??= new DynamoDBClient({ maxAttempts: 2 })), process.env.STATE_TABLE);
  } else {
    logger.warn('STATE_TABLE is not set: alert state lives only as long as this container');
    store = fallbackStore ??= new MemoryStore();
  }
  const sinks: PageSink[] = [{ name: 'log', send: async (p) => logger.info('PAGE', { subject: p.subject, page: p.text }) }];
  const topic = process.env.PAGES_TOPIC_ARN || config.alerts.snsTopicArn;
  if (topic) sinks.push(new SnsPageSink((sns ??= new SNSClient({ maxAttempts: 1 })), topic));
  return pagerFor(config, store, sinks, new SecretResolver(), CODES_BY_CHECK[check], scope);
}

/** A check worker's part of the fleet: all of it when scheduled directly, its shard when dispatched. */
export interface WorkerScope {
  /** Names the slice, so a warm container keeps one checker (and its history) per slice. */
  key: string;
  config: Config;
  /** The alerts this run may resolve: only its own slice's. */
  owns?: (f: Pick<Finding, 'cluster' | 'target'>) => boolean;
}

export function workerScope(config: Config, check: CheckName, event: unknown): WorkerScope {
  const shard = (event as Partial<WorkerEvent> | undefined)?.shard;
  if (!shard) return { key: 'all', config };
  const slice = shardConfig(config, check, shard);
  return { key: `${shard.index}/${shard.count}`, config: slice, owns: ownedBy(slice) };
}
