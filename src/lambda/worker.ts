import { dynamodb } from '../aws/clients';
import { pagerFor } from '../monitor/paging';
import { StoreWatchedPager } from '../monitor/storeOutage';
import type { Config } from '../config/schema';
import { SecretResolver } from '../config/secrets';
import type { WorkerEvent } from '../dispatch/dispatch';
import { ownedBy, shardConfig } from '../dispatch/shards';
import { CODES_BY_CHECK } from '../model/codes';
import type { Finding } from '../model/findings';
import type { CheckName } from '../sinks/cloudwatch';
import { SnsPageSink, type PageSink } from '../sinks/pages';
import { DynamoStore } from '../state/dynamodb';
import { MemoryStore, type StateStore } from '../state/store';
import { lambdaEnvironment } from './environment';
import { logger } from './runtime';

/*
 * What the check workers share beyond runtime.ts (kept apart so that dispatch and heartbeat do
 * not bundle the pager, the state store and the probes they pull in).
 */

let fallbackStore: MemoryStore | undefined;
/** Per check, the state table's outage as this container last paged it: once per outage, not once per run. */
const outages = new Map<CheckName, MemoryStore>();

/** The deployed state table (STATE_TABLE), or, without one, a store as long-lived as the container. */
export function lambdaStore(): StateStore {
  const table = lambdaEnvironment.stateTable();
  if (table) return new DynamoStore(dynamodb(), table, (line) => logger.warn(line));
  logger.warn('STATE_TABLE is not set: alert state lives only as long as this container');
  return (fallbackStore ??= new MemoryStore());
}

/** Where the functions page: the PAGES_TOPIC_ARN topic (or the config's), and the function's log. */
export function lambdaSinks(config: Config): PageSink[] {
  const sinks: PageSink[] = [{ name: 'log', send: async (p) => logger.info('PAGE', { subject: p.subject, page: p.text }) }];
  const topic = lambdaEnvironment.pagesTopicArn() ?? config.alerts.snsTopicArn;
  if (topic) sinks.push(new SnsPageSink(topic));
  return sinks;
}

/**
 * The pager of one check's Lambda: alert state in lambdaStore, pages to lambdaSinks. When the
 * table cannot be read or written, that is paged to the same sinks (once per outage per
 * container). `deadRebuilds`: the replication check pages the rebuilds that died, read with its
 * alerts (a failed read of them is the same outage).
 */
export function lambdaPager(
  config: Config,
  check: CheckName,
  scope?: (f: Pick<Finding, 'cluster' | 'target'>) => boolean,
  o: { deadRebuilds?: boolean } = {},
): StoreWatchedPager {
  const store = lambdaStore();
  const sinks = lambdaSinks(config);
  const secrets = new SecretResolver();
  const table = lambdaEnvironment.stateTable();
  const name = table ? `DynamoDB table ${table}` : 'memory';
  if (!outages.has(check)) outages.set(check, new MemoryStore());
  const pager = pagerFor({ config, store, sinks, secrets, codes: CODES_BY_CHECK[check], ...(scope ? { scope } : {}), ...o });
  return new StoreWatchedPager(pager, name, config, sinks, secrets, outages.get(check));
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
