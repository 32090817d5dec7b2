import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { ReplicationChecker } from '../src/check/replication';
import { exitCodeFor, sortFindings } from '../src/check/report';
import { SecretResolver } from '../src/config/secrets';
import { lambdaConfig, logger, metricsNamespace, sampleWhileTimeLeft } from '../src/lambda/runtime';
import { publishMetrics, replicationMetrics } from '../src/sinks/cloudwatch';

const cloudwatch = new CloudWatchClient({});

/** Scheduled every minute: samples replication every `sampleSeconds` and publishes metrics. */
export const checkReplication = async (_event: ScheduledEvent, context: Context) => {
  const config = await lambdaConfig();
  const secrets = new SecretResolver();
  const checker = new ReplicationChecker(config);
  let worst = 0;
  try {
    const samples = await sampleWhileTimeLeft(config.sampleSeconds * 1000, () => context.getRemainingTimeInMillis(), 5000, async () => {
      const timestamp = new Date();
      const sample = await checker.sample(secrets);
      const findings = sortFindings(sample.findings);
      worst = Math.max(worst, exitCodeFor(findings));
      for (const f of findings) logger.warn(f.summary, { finding: f });
      const data = replicationMetrics({ ...sample, findings, timestamp, storageResolution: config.sampleSeconds < 60 ? 1 : 60, check: 'replication' });
      const published = await publishMetrics(cloudwatch, metricsNamespace(), data);
      if (published.failed > 0) logger.error('metrics not published', { ...published });
    });
    return { samples, worst };
  } finally {
    await checker.close();
  }
};

export const handler = middy(checkReplication).use(injectLambdaContext(logger));
