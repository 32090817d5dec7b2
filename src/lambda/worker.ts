import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { pagerFor } from '../check/paging';
import type { Pager } from '../check/pager';
import type { Config } from '../config/schema';
import { SecretResolver } from '../config/secrets';
import type { WorkerEvent } from '../dispatch/dispatch';
import { ownedBy, shardConfig } from '../dispatch/shards';
import { CODES_BY_CHECK, type Finding } from '../model/findings';
import type { CheckName } from '../sinks/cloudwatch';
import { SnsPageSink, type PageSink } from '../sinks/pages';
import { DynamoStore } from '../state/dynamodb';
import { MemoryStore, type StateStore } from '../state/store';
import { logger } from './runtime';

/*
 * What the check workers share beyond runtime.ts (kept apart so that dispatch and heartbeat do
 * not bundle the pager, the state store and the probes they pull in).
 */

// Created once per container, outside the handlers.
let dynamodb: DynamoDBClient | undefined;
let sns: SNSClient | undefined;
let fallbackStore: MemoryStore | undefined;

/** The deployed state table (STATE_TABLE), or, without one, a store as long-lived as the container. */
export function lambdaStore(): StateStore {
  if (process.env.STATE_TABLE) return new DynamoStore((dynamodb ??= new DynamoDBClient({ maxAttempts: 2 })), process.env.STATE_TABLE);
  logger.warn('STATE_TABLE is not set: alert state lives only as long as this container');
  return (fallbackStore ??= new MemoryStore());
}

/** Where the functions page: the PAGES_TOPIC_ARN topic (or the config's), and the function's log. */
export function lambdaSinks(config: Config): PageSink[] {
  const sinks: PageSink[] = [{ name: 'log', send: async (p) => logger.info('PAGE', { subject: p.subject, page: p.text }) }];
  const topic = process.env.PAGES_TOPIC_ARN || config.alerts.snsTopicArn;
  if (topic) sinks.push(new SnsPageSink((sns ??= new SNSClient({ maxAttempts: 1 })), topic));
  return sinks;
}

/** The pager of one check's Lambda: alert state in `store`, pages to lambdaSinks. */
export function lambdaPager(config: Config, check: CheckName, scope?: (f: Pick<Finding, 'cluster' | 'target'>) => boolean, store: StateStore = lambdaStore()): Pager {
  return pagerFor(config, store, lambdaSinks(config), new SecretResolver(), { codes: CODES_BY_CHECK[check], ...(scope ? { scope } : {}) });
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
