import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { cloudwatch } from '../src/aws/clients';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { NetworkChecker } from '../src/monitor/network';
import { runScheduledCheck } from '../src/lambda/checkRun';
import { lambdaConfig, logger } from '../src/lambda/runtime';
import { lambdaPager, workerScope } from '../src/lambda/worker';
import type { WorkerEvent } from '../src/dispatch/dispatch';

/** Every minute: TCP-handshake packet loss to the hosts that matter, and AWS Network Monitor probes. */
export const checkNetwork = async (event: ScheduledEvent | WorkerEvent, context: Context) => {
  const config = await lambdaConfig();
  const scope = workerScope(config, 'network', event);
  const checker = new NetworkChecker(scope.config, () => cloudwatch());
  const pager = lambdaPager(config, 'network', scope.owns);
  return runScheduledCheck({ check: 'network', config, context, pager, sampler: { sample: () => checker.sample(), close: () => undefined } });
};

export const handler = middy(checkNetwork).use(injectLambdaContext(logger));
