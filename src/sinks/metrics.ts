import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { MetricDatum } from '@aws-sdk/client-cloudwatch';
import { CODES_BY_CHECK } from '../model/codes';
import type { Finding } from '../model/findings';
import type { Observation } from '../model/observations';
import { checkMetrics, type CheckName } from './cloudwatch';

const CHECK_OF_KIND: Record<Observation['kind'], CheckName> = {
  'mysql-replica': 'replication',
  'mysql-primary': 'replication',
  memcache: 'memcache',
  network: 'network',
};

/**
 * The datums each check's Lambda would publish for one sample of all checks together (the CLI's
 * view): split by check, so `ChecksCompleted{Check}` and the dead-man rules mean the same locally.
 */
export function sampleMetrics(
  sample: { findings: Finding[]; observations: Observation[] },
  timestamp: Date,
  durationMs: number,
  pages: { sent: number; failed: number },
): MetricDatum[] {
  return (['replication', 'memcache', 'network'] as const).flatMap((check) =>
    checkMetrics({
      observations: sample.observations.filter((o) => CHECK_OF_KIND[o.kind] === check),
      findings: sample.findings.filter((f) => CODES_BY_CHECK[check].has(f.code)),
      durationMs,
      timestamp,
      storageResolution: 1,
      check,
      // Pages are sent for all checks at once here; count them once.
      ...(check === 'replication' ? { pages } : {}),
    }),
  );
}

/** CloudWatch's local stand-in: one JSON datum per line. The game day's dead-man rule reads it. */
export class JsonlMetricSink {
  constructor(private readonly file: string) {}

  async put(data: MetricDatum[]): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true });
    await appendFile(this.file, `${data.map((d) => JSON.stringify(d)).join('\n')}\n`);
  }
}
