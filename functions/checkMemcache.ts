import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { MemcacheChecker } from '../src/check/memcache';
import { runScheduledCheck } from '../src/lambda/checkRun';
import { lambdaConfig, lambdaPager, logger } from '../src/lambda/runtime';

const cloudwatch = new CloudWatchClient({});
let checker: MemcacheChecker | undefined;

/** Every minute: memcached reachability, round trip and canary, sampled every `sampleSeconds`. */
export const checkMemcache = async (_event: ScheduledEvent, context: Context) => {
  const config = await lambdaConfig();
  // One per container: lag history and previous readings carry over warm invocations (a check that
  // samples once a minute still sees `sustainedSamples`); connections are closed at the end of each.
  const c = (checker ??= new MemcacheChecker(config));
  return runScheduledCheck('memcache', config, context, cloudwatch, lambdaPager(config, 'memcache'), { sample: () => c.sample(), close: () => c.close() });
};

export const handler = middy(checkMemcache).use(injectLambdaContext(logger));
