import type { Config } from '../config/schema';
import type { CheckName } from '../sinks/cloudwatch';
import { checksOf, shardCount, type Shard } from './shards';

/** What a check worker receives from the dispatcher. */
export interface WorkerEvent {
  shard: Shard;
}

/** Starts one worker run without waiting for it (in Lambda: Invoke with InvocationType Event). */
export type Invoke = (check: CheckName, event: WorkerEvent) => Promise<void>;

export interface DispatchResult {
  invoked: Array<{ check: CheckName; shard: Shard }>;
  failed: Array<{ check: CheckName; shard: Shard; error: string }>;
}

/**
 * One tick of the schedule: every check's shards, each handed to a worker run. One refused
 * invocation is reported (and logged by the caller), never stops the others.
 */
export async function dispatch(config: Config, invoke: Invoke): Promise<DispatchResult> {
  const result: DispatchResult = { invoked: [], failed: [] };
  const jobs = checksOf(config).flatMap((check) => {
    const count = shardCount(config, check);
    return Array.from({ length: count }, (_, index) => ({ check, shard: { index, count } }));
  });
  const outcomes = await Promise.allSettled(jobs.map((j) => invoke(j.check, { shard: j.shard })));
  // In job order, not completion order: the same failures read the same in every log.
  outcomes.forEach((o, i) => {
    if (o.status === 'fulfilled') result.invoked.push(jobs[i]!);
    else result.failed.push({ ...jobs[i]!, error: (o.reason as Error).message });
  });
  return result;
}
