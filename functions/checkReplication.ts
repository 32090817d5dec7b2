import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { ReplicationChecker } from '../src/monitor/replication';
import { ContainerCheckers, warnLagWindow } from '../src/lambda/checkers';
import { runScheduledCheck } from '../src/lambda/checkRun';
import { lambdaConfig, logger } from '../src/lambda/runtime';
import { lambdaPager, workerScope } from '../src/lambda/worker';
import type { WorkerEvent } from '../src/dispatch/dispatch';

const checkers = new ContainerCheckers((config) => new ReplicationChecker(config));

/**
 * Every minute: replica lag and threads, sampled every `sampleSeconds`, and rebuilds that died
 * half-way (their locks in the state table), whose commands on-call runs with their own config.
 */
export const checkReplication = async (event: ScheduledEvent | WorkerEvent, context: Context) => {
  const config = await lambdaConfig();
  const scope = workerScope(config, 'replication', event);
  await warnLagWindow(scope.config, context.getRemainingTimeInMillis());
  const c = checkers.forRun(scope);
  const pager = lambdaPager(config, 'replication', scope.owns, { deadRebuilds: true });
  return runScheduledCheck({ check: 'replication', config, context, pager, sampler: { sample: (secrets) => c.sample(secrets), close: () => c.close() } });
};

export const handler = middy(checkReplication).use(injectLambdaContext(logger));
