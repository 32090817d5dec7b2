import type { CheckName } from '../sinks/cloudwatch';

/**
 * What the deployed stack tells a function through its environment (serverless.yml sets each),
 * read at each use so a test or a warm container sees the value of the moment.
 */
export const lambdaEnvironment = {
  /** This process is a Lambda function (no host of its own: no pids to ask, no database host's steps to run). */
  isLambda: (env: NodeJS.ProcessEnv = process.env): boolean => env.AWS_LAMBDA_FUNCTION_NAME !== undefined,
  /** The bundled config file. */
  configFile: (): string => process.env.REPLWATCH_CONFIG ?? 'replwatch.yml',
  /** The DynamoDB table of alert state, silences and rebuild locks; without it, state lives as long as the container. */
  stateTable: (): string | undefined => process.env.STATE_TABLE || undefined,
  /** The pages topic, over the config's `alerts.snsTopicArn`. */
  pagesTopicArn: (): string | undefined => process.env.PAGES_TOPIC_ARN || undefined,
  metricsNamespace: (): string => process.env.METRICS_NAMESPACE ?? 'Replwatch',
  serviceName: (): string => process.env.POWERTOOLS_SERVICE_NAME ?? 'replwatch',
  /** The worker function dispatch invokes for a check. */
  workerFunction: (check: CheckName): string | undefined =>
    ({ replication: process.env.CHECK_REPLICATION_FUNCTION, memcache: process.env.CHECK_MEMCACHE_FUNCTION, network: process.env.CHECK_NETWORK_FUNCTION })[
      check
    ] || undefined,
};
