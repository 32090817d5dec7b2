import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { MemcacheChecker } from '../src/check/memcache';
import { runScheduledCheck } from '../src/lambda/checkRun';
import { lambdaConfig, logger } from '../src/lambda/runtime';
import { lambdaPager, workerScope } from '../src/lambda/worker';
import type { WorkerEvent } from '../src/dispatch/dispatch';

const cloudwatch = new CloudWatchClient({});
const checkers = new Map<string, MemcacheChecker>();

/** Every minute: memcached reachability, round trip and canary, sampled every `sampleSeconds`. */
export const checkMemcache = async (event: ScheduledEvent | WorkerEvent, context: Context) => {
  const config = await lambdaConfig();
  // One per container and slice: lag history and previous readings carry over warm invocations (a
  // check that samples once a minute still sees `sustainedSamples`); connections close after each.
  const scope = workerScope(config, 'memcache', event);
  const c = checkers.get(scope.key) ?? new MemcacheChecker(scope.config);
  checkers.set(scope.key, c);
  return runScheduledCheck('memcache', config, context, cloudwatch, lambdaPager(config, 'memcache', scope.owns), { sample: () => c.sample(), close: () => c.close() });
};

export const handler = middy(checkMemcache).use(injectLambdaContext(logger));
