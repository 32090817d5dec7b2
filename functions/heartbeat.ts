import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { SecretResolver } from '../src/config/secrets';
import { writeHeartbeats } from '../src/heartbeat/writer';
import { lambdaConfig, logger, sampleWhileTimeLeft } from '../src/lambda/runtime';
import { MysqlConnections } from '../src/mysql/connections';

/**
 * Scheduled every minute: writes the heartbeat row on each primary every second until the
 * invocation's time is nearly spent, so lag is measured to the second between two runs.
 */
export const heartbeat = async (_event: ScheduledEvent, context: Context) => {
  const config = await lambdaConfig();
  if (!config.clusters.some((c) => c.heartbeat)) {
    logger.warn('no cluster sets heartbeat.table: nothing to write (lag falls back to Seconds_Behind_*)');
    return { writes: 0, failedClusters: [] };
  }
  const secrets = new SecretResolver();
  const connections = new MysqlConnections();
  const failures = new Map<string, string>();
  try {
    const writes = await sampleWhileTimeLeft(
      1000,
      () => context.getRemainingTimeInMillis(),
      2000,
      async () => {
        for (const r of await writeHeartbeats(config, connections, secrets)) {
          if (r.error) failures.set(r.cluster, r.error);
        }
      },
    );
    for (const [cluster, error] of failures) logger.error('heartbeat write failed', { cluster, error });
    return { writes, failedClusters: [...failures.keys()] };
  } finally {
    await connections.closeAll();
  }
};

export const handler = middy(heartbeat).use(injectLambdaContext(logger));
