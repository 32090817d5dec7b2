import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { Page } from '../src/alerting/page';
import { pagerFor } from '../src/monitor/paging';
import { parseConfig } from '../src/config/load';
import { SecretResolver } from '../src/config/secrets';
import { shardConfig, shardCount } from '../src/dispatch/shards';
import { RUN_RESERVE_MS } from '../src/lambda/checkers';
import { sampleWhileTimeLeft, type Clock } from '../src/lambda/runtime';
import type { Finding } from '../src/model/findings';
import type { Observation } from '../src/model/observations';
import { checkMetrics, MAX_METRICS_PER_CALL } from '../src/sinks/cloudwatch';
import { MemoryStore } from '../src/state/store';
import { printTable } from './peers';

/** us-east-1 list prices (2026-11), free tiers left out. */
const PRICE = {
  lambdaGbSecond: 0.0000133334, // arm64
  lambdaRequest: 0.2 / 1e6,
  putMetricDataCall: 0.01 / 1000,
  customMetricMonth: 0.3, // first 10,000 metrics
  dynamoReadUnit: 0.125 / 1e6, // on demand
  dynamoWriteUnit: 0.625 / 1e6,
  snsPublish: 0.5 / 1e6,
};

/** What is assumed rather than measured, named so that it can be changed. */
export const ASSUMED = {
  sampleSeconds: 10,
  /** A cluster: one primary and four replicas; a target is one MySQL server. */
  clusterSize: 5,
  /** Round trip of one AWS API call from Lambda (PutMetricData, a Scan, an Invoke): not measurable offline. */
  awsCallMs: 30,
  /** Incidents a month per target, each one alert that fires and resolves (a 10-minute lag episode). */
  incidentsPerTargetMonth: 0.1,
  /** Cold starts a month per worker: a container recycled about once an hour. */
  coldStartsPerWorkerMonth: 24 * 30.44,
  /** Consistent Scans of a table of a few open alerts, silences and locks: 1 read unit each. */
  readUnitsPerScan: 1,
};
const MINUTES_PER_MONTH = 60 * 24 * 30.44;
const INCIDENT_SAMPLES = 50; // 10 minutes at 10-s sampling, 5 samples a run

/** The figures a `npm run bench` measured, which the model runs on (bench/measured.json). */
export interface Measured {
  machine: string;
  at: string;
  /** Replica targets -> ms of one warm replication sample of them all. */
  sampleMs: Record<number, number>;
  /** Targets -> ms of a dispatch run against a local Lambda endpoint. */
  dispatchMs: Record<number, number>;
  /** Function -> ms to import its bundle in a fresh node. */
  importMs: Record<string, number>;
}

/** A fleet of `targets` MySQL servers in clusters of ASSUMED.clusterSize, as a config. */
export function fleetConfig(targets: number): Record<string, unknown> {
  const clusters = Array.from({ length: Math.ceil(targets / ASSUMED.clusterSize) }, (_, c) => ({
    name: `c${c}`,
    primary: { host: `c${c}-p.internal` },
    replicas: Array.from({ length: ASSUMED.clusterSize - 1 }, (_, r) => ({ name: `c${c}-r${r + 1}`, host: `c${c}-r${r + 1}.internal` })),
    user: 'replwatch',
    password: 'ssm:/replwatch/db',
  }));
  return { sampleSeconds: ASSUMED.sampleSeconds, clusters };
}

/** Least squares through the measured (servers, ms) points: a sample's fixed cost and its cost per server. */
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

/** One worker run, by the real sampling loop on a virtual clock: its billed ms and its samples. */
async function run(sampleMs: number, timeoutMs: number): Promise<{ ms: number; samples: number }> {
  let now = 0;
  const clock: Clock = { now: () => now, sleep: async (ms) => void (now += ms) };
  const samples = await sampleWhileTimeLeft(
    ASSUMED.sampleSeconds * 1000,
    () => timeoutMs - now,
    RUN_RESERVE_MS,
    async () => void (now += sampleMs),
    clock,
  );
  return { ms: now, samples };
}

/** The datums one sample of a shard publishes, by the real metric code (all healthy). */
function datums(config: ReturnType<typeof parseConfig>): number {
  const observations = config.clusters.flatMap((c) => [
    { kind: 'mysql-primary', cluster: c.name, target: `${c.name}-primary`, reachable: true },
    ...c.replicas.map((r) => ({ kind: 'mysql-replica', cluster: c.name, target: r.name, lagSeconds: 0.1 })),
  ]) as unknown as Observation[];
  return checkMetrics({
    observations,
    findings: [],
    durationMs: 1,
    timestamp: new Date(),
    storageResolution: 1,
    check: 'replication',
    pages: { sent: 0, failed: 0 },
  }).length;
}

/**
 * One incident through the real pager and alert lifecycle: a replica lagging for 10 minutes and
 * recovering. Returns the DynamoDB write units (a conditional put or delete per item KB) and
 * the SNS publishes it costs; and checks that healthy samples write and publish nothing.
 */
async function incidentCost(): Promise<{ writeUnits: number; publishes: number; healthyWrites: number }> {
  const config = parseConfig(JSON.stringify(fleetConfig(ASSUMED.clusterSize)), 'incident.json');
  const store = new MemoryStore();
  let writeUnits = 0;
  let writes = 0;
  const write = store.write.bind(store);
  store.write = async (w) => {
    writes++;
    writeUnits += Math.max(1, Math.ceil(Buffer.byteLength(JSON.stringify(w.alert ?? {})) / 1024));
    return write(w);
  };
  const pages: Page[] = [];
  const pager = pagerFor({ config, store, sinks: [{ name: 'sns', send: async (p) => void pages.push(p) }], secrets: new SecretResolver() });
  const lagging: Finding = {
    code: 'ReplicaLagging',
    severity: 'warning',
    cluster: 'c0',
    target: 'c0-r1',
    summary: 'lag 12.3 s over 5 s for 2 samples (heartbeat)',
    action: 'look for a long transaction or a write burst on the primary',
    details: { lagSeconds: 12.3, lagSource: 'heartbeat', thresholdSeconds: 5, samples: [11.9, 12.3] },
  };
  let t = Date.parse('2026-11-22T00:00:00Z');
  const sample = async (findings: Finding[]) => pager.process(findings, new Date((t += ASSUMED.sampleSeconds * 1000)));
  for (let i = 0; i < 10; i++) await sample([]);
  const healthyWrites = writes;
  for (let i = 0; i < INCIDENT_SAMPLES; i++) await sample([lagging]);
  for (let i = 0; i < 10; i++) await sample([]);
  return { writeUnits, publishes: pages.length, healthyWrites };
}

export interface CostRow {
  targets: number;
  workers: number;
  runSeconds: number;
  samplesPerRun: number;
  gbSeconds: number;
  requests: number;
  putMetricDataCalls: number;
  customMetrics: number;
  readUnits: number;
  writeUnits: number;
  snsPublishes: number;
  usd: number;
}

/**
 * Issue #7's cost model: what watching 10, 100 and 1000 MySQL servers at 10-second sampling
 * costs a month in Lambda, CloudWatch, DynamoDB and SNS, from measured sample, dispatch and
 * import times, the real sharding, sampling loop, metric code and pager, and the functions'
 * memory and timeout as serverless.yml deploys them.
 */
export async function costModel(measured: Measured): Promise<CostRow[]> {
  const sls = parse(readFileSync(join(import.meta.dirname, '..', 'serverless.yml'), 'utf8'), { logLevel: 'error', merge: true });
  const worker = sls.functions.checkReplication as { memorySize: number; timeout: number };
  const dispatcher = sls.functions.dispatch as { memorySize: number };
  // The bench's cluster is one primary and N replicas: N + 1 servers.
  const sampleMs = fit(Object.entries(measured.sampleMs).map(([n, ms]) => [Number(n) + 1, ms]));
  const dispatchMs = fit(Object.entries(measured.dispatchMs).map(([n, ms]) => [Number(n), ms]));
  const incident = await incidentCost();
  if (incident.healthyWrites !== 0) throw new Error(`healthy samples wrote ${incident.healthyWrites} times to the state table`);

  const rows: CostRow[] = [];
  for (const targets of [10, 100, 1000]) {
    const config = parseConfig(JSON.stringify(fleetConfig(targets)), `fleet-${targets}.json`);
    const workers = shardCount(config, 'replication');
    const shards = Array.from({ length: workers }, (_, index) => shardConfig(config, 'replication', { index, count: workers }));
    const runsPerMonth = MINUTES_PER_MONTH * workers;
    let gbSeconds = MINUTES_PER_MONTH * ((dispatchMs(targets) + ASSUMED.awsCallMs) / 1000) * (dispatcher.memorySize / 1024);
    let calls = 0;
    let scans = 0;
    let samplesPerRun = 0;
    let runSeconds = 0;
    for (const shard of shards) {
      const servers = shard.clusters.reduce((n, c) => n + 1 + c.replicas.length, 0);
      const callsPerSample = Math.ceil(datums(shard) / MAX_METRICS_PER_CALL);
      // A sample: the probes, its metrics (calls in turn), then the pager's one Scan of the table
      // (alerts, silences and rebuild locks together).
      const r = await run(sampleMs(servers) + (callsPerSample + 1) * ASSUMED.awsCallMs, worker.timeout * 1000);
      gbSeconds += MINUTES_PER_MONTH * (r.ms / 1000) * (worker.memorySize / 1024);
      calls += MINUTES_PER_MONTH * r.samples * callsPerSample;
      scans += MINUTES_PER_MONTH * r.samples;
      samplesPerRun = r.samples;
      runSeconds = Math.max(runSeconds, r.ms / 1000);
    }
    gbSeconds += workers * ASSUMED.coldStartsPerWorkerMonth * ((measured.importMs.checkReplication ?? 0) / 1000) * (worker.memorySize / 1024);
    const incidents = ASSUMED.incidentsPerTargetMonth * targets;
    const row = {
      targets,
      workers,
      runSeconds,
      samplesPerRun,
      gbSeconds,
      requests: runsPerMonth + MINUTES_PER_MONTH,
      putMetricDataCalls: calls,
      customMetrics: datums(config),
      readUnits: scans * ASSUMED.readUnitsPerScan,
      writeUnits: incidents * incident.writeUnits,
      snsPublishes: incidents * incident.publishes,
    };
    const usd =
      row.gbSeconds * PRICE.lambdaGbSecond +
      row.requests * PRICE.lambdaRequest +
      row.putMetricDataCalls * PRICE.putMetricDataCall +
      row.customMetrics * PRICE.customMetricMonth +
      row.readUnits * PRICE.dynamoReadUnit +
      row.writeUnits * PRICE.dynamoWriteUnit +
      row.snsPublishes * PRICE.snsPublish;
    rows.push({ ...row, usd });
  }
  return rows;
}

const count = (v: number) => (v >= 1e6 ? `${(v / 1e6).toFixed(2)}M` : v >= 1e3 ? `${(v / 1e3).toFixed(1)}k` : v.toFixed(0));

export function costTable(rows: CostRow[]): string[][] {
  return [
    [
      'targets',
      'workers',
      'run s (samples)',
      'Lambda GB-s',
      'PutMetricData calls',
      'custom metrics',
      'DynamoDB reads (RRU)',
      'DynamoDB writes (WRU)',
      'SNS publishes',
      'USD / month',
    ],
    ...rows.map((r) => [
      String(r.targets),
      String(r.workers),
      `${r.runSeconds.toFixed(1)} (${r.samplesPerRun})`,
      count(r.gbSeconds),
      count(r.putMetricDataCalls),
      String(r.customMetrics),
      count(r.readUnits),
      count(r.writeUnits),
      count(r.snsPublishes),
      r.usd.toFixed(2),
    ]),
  ];
}

export function printCost(rows: CostRow[]): void {
  console.log(`\n== cost per month: MySQL servers sampled every ${ASSUMED.sampleSeconds} s (us-east-1 list prices, no free tier) ==`);
  printTable(costTable(rows));
  console.log(
    `  assumed: clusters of ${ASSUMED.clusterSize}, ${ASSUMED.awsCallMs} ms per AWS call, ${ASSUMED.incidentsPerTargetMonth} incidents a target a month, a cold start per worker an hour`,
  );
}

/** `npx tsx bench/cost.ts`: the model on the last bench's measurements, as a Markdown table (docs/cost.md's, which test/unit/docs/tables.test.ts compares with it). */
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const measured = JSON.parse(readFileSync(join(import.meta.dirname, 'measured.json'), 'utf8')) as Measured;
  const rows = costTable(await costModel(measured));
  console.log(`Measured ${measured.at} on ${measured.machine}.\n`);
  for (const [i, r] of rows.entries()) {
    console.log(`| ${r.join(' | ')} |`);
    if (i === 0) console.log(`|${' --- |'.repeat(r.length)}`);
  }
}
