import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { Context } from 'aws-lambda';
import { cloudwatch as cloudwatchFor } from '../aws/clients';
import { exitCodeFor } from '../monitor/report';
import type { Sample } from '../monitor/checker';
import type { StoreWatchedPager } from '../monitor/storeOutage';
import type { Config } from '../config/schema';
import { SecretResolver } from '../config/secrets';
import { checkMetrics, publishMetrics, type CheckName } from '../sinks/cloudwatch';
import { RUN_RESERVE_MS } from './checkers';
import { lambdaEnvironment } from './environment';
import { logger, sampleWhileTimeLeft } from './runtime';

export interface CheckRunResult {
  samples: number;
  /** Nagios-style: 0 ok, 1 warning, 2 critical, over every sample of the run. */
  worst: number;
  pagesSent: number;
  pagesFailed: number;
}

/**
 * The body of every scheduled check Lambda: sample every `sampleSeconds` until the invocation's
 * time is nearly spent; after each sample page the transitions, publish metrics; close at the end.
 * Paging or metrics failing is logged and counted, and never stops the next sample.
 */
export interface ScheduledCheckOptions {
  check: CheckName;
  config: Config;
  context: Context;
  pager: Pick<StoreWatchedPager, 'process'>;
  sampler: { sample: (secrets: SecretResolver) => Promise<Sample>; close: () => Promise<void> | void };
  /** Where metrics are published: by default the process's control-plane CloudWatch client. */
  cloudwatch?: CloudWatchClient;
}

export async function runScheduledCheck({
  check,
  config,
  context,
  pager,
  sampler,
  cloudwatch = cloudwatchFor('control'),
}: ScheduledCheckOptions): Promise<CheckRunResult> {
  const secrets = new SecretResolver();
  const result: CheckRunResult = { samples: 0, worst: 0, pagesSent: 0, pagesFailed: 0 };
  try {
    result.samples = await sampleWhileTimeLeft(
      config.sampleSeconds * 1000,
      () => context.getRemainingTimeInMillis(),
      RUN_RESERVE_MS,
      async () => {
        const timestamp = new Date();
        const started = performance.now();
        const checked = await sampler.sample(secrets);
        const pages = { sent: 0, failed: 0 };
        let sample = checked;
        try {
          const paging = await pager.process(checked.findings, timestamp);
          // The state table failing is a finding of its own (paged without the table), and counts
          // as failed paging: the PagesFailed alarm sees it too.
          if (paging.unreadable) sample = { ...checked, findings: [...checked.findings, paging.unreadable] };
          pages.sent = paging.sent.length;
          pages.failed = paging.failed.length + (paging.unreadable ? 1 : 0);
          for (const p of paging.sent) logger.info('page sent', { subject: p.subject, kind: p.kind, key: p.key });
          for (const f of paging.failed) logger.error('page not delivered; retried next sample', { subject: f.page.subject, errors: f.errors });
        } catch (e) {
          pages.failed = 1;
          logger.error('paging failed; findings are still logged and published', { error: (e as Error).message });
        }
        result.worst = Math.max(result.worst, exitCodeFor(sample.findings));
        result.pagesSent += pages.sent;
        result.pagesFailed += pages.failed;
        for (const f of sample.findings) logger.warn(f.summary, { finding: f });
        const data = checkMetrics({
          ...sample,
          durationMs: performance.now() - started,
          timestamp,
          storageResolution: config.sampleSeconds < 60 ? 1 : 60,
          check,
          pages,
        });
        const published = await publishMetrics(cloudwatch, lambdaEnvironment.metricsNamespace(), data);
        if (published.failed > 0) logger.error('metrics not published', { ...published });
      },
    );
    return result;
  } finally {
    await sampler.close();
  }
}
