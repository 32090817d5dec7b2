import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { ReplicationChecker } from '../src/check/replication';
import { runScheduledCheck } from '../src/lambda/checkRun';
import { lambdaConfig, lambdaPager, logger } from '../src/lambda/runtime';

const cloudwatch = new CloudWatchClient({});
let checker: ReplicationChecker | undefined;

/** Every minute: replica lag and threads, sampled every `sampleSeconds`. */
export const checkReplication = async (_event: ScheduledEvent, context: Context) => {
  const config = await lambdaConfig();
  // One per container: lag history and previous readings carry over warm invocations (a check that
  // samples once a minute still sees `sustainedSamples`); connections are closed at the end of each.
  const c = (checker ??= new ReplicationChecker(config));
  return runScheduledCheck('replication', config, context, cloudwatch, lambdaPager(config, 'replication'), { sample: (secrets) => c.sample(secrets), close: () => c.close() });
};

export const handler = middy(checkReplication).use(injectLambdaContext(logger));
