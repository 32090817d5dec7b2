import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { Context } from 'aws-lambda';
import { exitCodeFor, sortFindings } from '../check/report';
import type { Sample } from '../check/checker';
import type { Config } from '../config/schema';
import { SecretResolver } from '../config/secrets';
import { checkMetrics, publishMetrics, type CheckName } from '../sinks/cloudwatch';
import { logger, metricsNamespace, sampleWhileTimeLeft } from './runtime';

export interface CheckRunResult {
  samples: number;
  /** Nagios-style: 0 ok, 1 warning, 2 critical, over every sample of the run. */
  worst: number;
}

/**
 * The body of every scheduled check Lambda: sample every `sampleSeconds` until the invocation's
 * time is nearly spent, log each finding, publish metrics after each sample, close at the end.
 */
export async function runScheduledCheck(
  check: CheckName,
  config: Config,
  context: Context,
  cloudwatch: CloudWatchClient,
  sampler: { sample: (secrets: SecretResolver) => Promise<Sample>; close: () => Promise<void> | void },
): Promise<CheckRunResult> {
  const secrets = new SecretResolver();
  let worst = 0;
  try {
    const samples = await sampleWhileTimeLeft(config.sampleSeconds * 1000, () => context.getRemainingTimeInMillis(), 5000, async () => {
      const timestamp = new Date();
      const started = performance.now();
      const sample = await sampler.sample(secrets);
      const findings = sortFindings(sample.findings);
      worst = Math.max(worst, exitCodeFor(findings));
      for (const f of findings) logger.warn(f.summary, { finding: f });
      const data = checkMetrics({ ...sample, findings, durationMs: performance.now() - started, timestamp, storageResolution: config.sampleSeconds < 60 ? 1 : 60, check });
      const published = await publishMetrics(cloudwatch, metricsNamespace(), data);
      if (published.failed > 0) logger.error('metrics not published', { ...published });
    });
    return { samples, worst };
  } finally {
    await sampler.close();
  }
}
