import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { ReplicationChecker } from '../src/check/replication';
import { runScheduledCheck } from '../src/lambda/checkRun';
import { lambdaConfig, logger } from '../src/lambda/runtime';
import { lambdaPager, workerScope } from '../src/lambda/worker';
import type { WorkerEvent } from '../src/dispatch/dispatch';

const cloudwatch = new CloudWatchClient({});
const checkers = new Map<string, ReplicationChecker>();

/** Every minute: replica lag and threads, sampled every `sampleSeconds`. */
export const checkReplication = async (event: ScheduledEvent | WorkerEvent, context: Context) => {
  const config = await lambdaConfig();
  // One per container and slice: lag history and previous readings carry over warm invocations (a
  // check that samples once a minute still sees `sustainedSamples`); connections close after each.
  const scope = workerScope(config, 'replication', event);
  const c = checkers.get(scope.key) ?? new ReplicationChecker(scope.config);
  checkers.set(scope.key, c);
  return runScheduledCheck('replication', config, context, cloudwatch, lambdaPager(config, 'replication', scope.owns), { sample: (secrets) => c.sample(secrets), close: () => c.close() });
};

export const handler = middy(checkReplication).use(injectLambdaContext(logger));
