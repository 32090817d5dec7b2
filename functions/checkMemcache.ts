import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { MemcacheChecker } from '../src/monitor/memcache';
import { ContainerCheckers } from '../src/lambda/checkers';
import { runScheduledCheck } from '../src/lambda/checkRun';
import { lambdaConfig, logger } from '../src/lambda/runtime';
import { lambdaPager, workerScope } from '../src/lambda/worker';
import type { WorkerEvent } from '../src/dispatch/dispatch';

// Previous readings (evictions per second, restarts) carry over warm invocations.
const checkers = new ContainerCheckers((config) => new MemcacheChecker(config));

/** Every minute: memcached reachability, round trip and canary, sampled every `sampleSeconds`. */
export const checkMemcache = async (event: ScheduledEvent | WorkerEvent, context: Context) => {
  const config = await lambdaConfig();
  const scope = workerScope(config, 'memcache', event);
  const c = checkers.forRun(scope);
  const pager = lambdaPager(config, 'memcache', scope.owns);
  return runScheduledCheck({ check: 'memcache', config, context, pager, sampler: { sample: () => c.sample(), close: () => c.close() } });
};

export const handler = middy(checkMemcache).use(injectLambdaContext(logger));
