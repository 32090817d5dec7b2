import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { ScheduledEvent } from 'aws-lambda';
import { dispatch, type Invoke } from '../src/dispatch/dispatch';
import { invokeAsync } from '../src/lambda/invoke';
import { lambdaConfig, logger } from '../src/lambda/runtime';
import { lambdaEnvironment } from '../src/lambda/environment';

/** Asynchronous (Event) invocation: the worker runs on its own, up to its own timeout. */
const invoke: Invoke = async (check, event) => {
  const name = lambdaEnvironment.workerFunction(check);
  if (!name) throw new Error(`no worker function configured for the ${check} check`);
  await invokeAsync(name, event);
};

/** Every minute: one worker run per shard of each check (`shardSize` targets each). */
export const dispatchChecks = async (_event: ScheduledEvent) => {
  const result = await dispatch(await lambdaConfig(), invoke);
  for (const f of result.failed) logger.error('worker not started', { ...f });
  logger.info('dispatched', { workers: result.invoked.length, failed: result.failed.length });
  if (result.failed.length)
    throw new Error(
      `${result.failed.length} worker invocation(s) failed: ${result.failed.map((f) => `${f.check} ${f.shard.index + 1}/${f.shard.count}`).join(', ')}`,
    );
  return result;
};

export const handler = middy(dispatchChecks).use(injectLambdaContext(logger));
