import { checkMetrics, MAX_METRICS_PER_CALL } from '../src/sinks/cloudwatch';
import { sampleWhileTimeLeft, type Clock } from '../src/lambda/runtime';
import type { Observation } from '../src/model/observations';
import type { FleetFigures } from './fleet';
import { printTable } from './peers';

/** us-east-1 list prices (2026-11), free tiers left out. */
const PRICE = {
  lambdaGbSecond: 0.0000133334, // arm64
  lambdaRequest: 0.2 / 1e6,
  putMetricDataCall: 0.01 / 1000,
  customMetricMonth: 0.3, // first 10,000 metrics
  dynamoReadUnit: 0.125 / 1e6, // on-demand; a Scan of a small table is one (eventually consistent: half)
  snsPublish: 0.5 / 1e6,
};
const MINUTES_PER_MONTH = 60 * 24 * 30.44;
const SAMPLE_SECONDS = 10;
const TIMEOUT_MS = 60_000;
const MEMORY_GB = 0.5; // checkReplication's memorySize
const SHARD_SIZE = 200;
const DISPATCH_MS = 200; // one dispatch run: load config, N/200 async invokes

/** Least squares through the measured (targets, ms) points: a sample's fixed cost and its cost per target. */
function fit(points: Array<[number, number]>): (n: number) => number {
  const k = points.length;
  const sx = points.reduce((s, [x]) => s + x, 0);
  const sy = points.reduce((s, [, y]) => s + y, 0);
  const sxy = points.reduce((s, [x, y]) => s + x * y, 0);
  const sxx = points.reduce((s, [x]) => s + x * x, 0);
  const b = (k * sxy - sx * sy) / (k * sxx - sx * sx);
  const a = (sy - b * sx) / k;
  return (n) => Math.max(1, a + b * n);
}

/** One worker invocation, run by the real sampling loop on a virtual clock: its duration and samples. */
async function invocation(sampleMs: number): Promise<{ ms: number; samples: number }> {
  let now = 0;
  const clock: Clock = { now: () => now, sleep: async (ms) => void (now += ms) };
  const samples = await sampleWhileTimeLeft(SAMPLE_SECONDS * 1000, () => TIMEOUT_MS - now, 5000, async () => void (now += sampleMs), clock);
  return { ms: now, samples };
}

/** The datums one sample of `n` healthy replicas (one cluster) publishes, by the real metric code. */
function datumsPerSample(n: number): number {
  const observations = [
    { kind: 'mysql-primary', cluster: 'c', target: 'p', reachable: true },
    ...Array.from({ length: n }, (_, i) => ({ kind: 'mysql-replica', cluster: 'c', target: `r${i}`, lagSeconds: 0.1 })),
  ] as unknown as Observation[];
  return checkMetrics({ observations, findings: [], durationMs: 1, timestamp: new Date(), storageResolution: 1, check: 'replication', pages: { sent: 0, failed: 0 } }).length;
}

/**
 * Issue #7's cost model: what watching 10, 100 and 1000 replicas at 10-second sampling costs a
 * month in Lambda, CloudWatch, DynamoDB and SNS, from this run's measured sample durations.
 */
export async function costModel(fleet: FleetFigures): Promise<void> {
  console.log(`\n== cost per month, replicas sampled every ${SAMPLE_SECONDS} s (us-east-1 list prices, no free tier) ==`);
  const ms = fit(Object.entries(fleet.sampleMs).map(([n, v]) => [Number(n), v]));
  const rows = [['targets', 'workers', 'run s', 'GB-s', 'PutMetricData calls', 'metrics', 'DynamoDB reads', 'SNS per incident', 'USD']];
  for (const n of [10, 100, 1000]) {
    const workers = Math.ceil(n / SHARD_SIZE);
    const perWorker = Math.ceil(n / workers);
    const run = await invocation(ms(perWorker) + 30); // + a PutMetricData round trip per sample
    const runs = workers * MINUTES_PER_MONTH;
    const gbS = runs * (run.ms / 1000) * MEMORY_GB + MINUTES_PER_MONTH * (DISPATCH_MS / 1000) * 0.25;
    const calls = runs * run.samples * Math.ceil(datumsPerSample(perWorker) / MAX_METRICS_PER_CALL);
    const metrics = datumsPerSample(n);
    const reads = runs * run.samples * 2; // a Scan for alerts and one for silences, each sample
    const usd = gbS * PRICE.lambdaGbSecond + (runs + MINUTES_PER_MONTH) * PRICE.lambdaRequest + calls * PRICE.putMetricDataCall + metrics * PRICE.customMetricMonth + reads * 0.5 * PRICE.dynamoReadUnit;
    const m = (v: number) => (v >= 1e6 ? `${(v / 1e6).toFixed(2)}M` : v >= 1e3 ? `${(v / 1e3).toFixed(1)}k` : v.toFixed(0));
    rows.push([String(n), String(workers), (run.ms / 1000).toFixed(1), m(gbS), m(calls), String(metrics), m(reads), '2 (+4 writes)', usd.toFixed(2)]);
  }
  printTable(rows);
  console.log('  A run samples until its minute is nearly spent (5 samples: 0, 10, 20, 30, 40 s), so GB-s hardly grow with targets;');
  console.log('  CloudWatch custom metrics (2 per replica) dominate from about 100 replicas. Healthy fleets write nothing to');
  console.log('  DynamoDB and publish nothing to SNS: an incident costs its 2 pages and about 4 conditional writes.');
}
