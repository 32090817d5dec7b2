import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { parseConfig } from '../src/config/load';
import { SecretResolver } from '../src/config/secrets';
import { Checker } from '../src/monitor/checker';
import type { SandboxState } from '../src/sandbox/sandbox';
import { median, printTable } from './peers';

const SIZES = [50, 200, 1000];
const RUNS = 3;

/** Heap and external bytes once closed sockets have let go of their buffers and full GCs ran. */
async function settledBytes(): Promise<number> {
  await new Promise((done) => setTimeout(done, 250));
  global.gc?.();
  global.gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

export interface FleetFigures {
  /** Targets -> median ms of one warm sample of them all (what a worker spends per sample). */
  sampleMs: Record<number, number>;
  /** Targets -> ms of the first sample, which dials every connection (a run's first sample in Lambda). */
  coldSampleMs: Record<number, number>;
  /** Targets -> heap + external KB per target, every connection open, after a forced GC. */
  memoryKbPerTarget: Record<number, number>;
}

/**
 * Issue #7's throughput: one sample of N replica targets (the sandbox's replicas listed N times,
 * one connection per name, as distinct servers would need), warm (connections open, as in a
 * Lambda's later samples), N = 50, 200, 1000; the first sample, which dials them all (what a
 * run pays for closing its connections before the freeze); and the memory a target costs.
 */
export async function benchFleet(sb: SandboxState): Promise<FleetFigures> {
  console.log('\n== fleet: one warm sample of N replica targets, in one process ==');
  const cluster = parse(readFileSync(sb.configFile, 'utf8')).clusters[0];
  const replicas = sb.servers.filter((s) => s.role === 'replica');
  const rows = [['targets', 'first sample ms (dials)', 'sample ms (median)', 'checks/s', 'memory per target KB']];
  const figures: FleetFigures = { sampleMs: {}, coldSampleMs: {}, memoryKbPerTarget: {} };
  for (const n of SIZES) {
    const config = parseConfig(
      JSON.stringify({
        concurrency: 64,
        clusters: [
          {
            ...cluster,
            replicas: Array.from({ length: n }, (_, i) => ({ name: `fleet-r${i}`, host: '127.0.0.1', port: replicas[i % replicas.length]!.port })),
          },
        ],
      }),
      `fleet-${n}.json`,
    );
    const before = await settledBytes();
    const checker = new Checker(config);
    const secrets = new SecretResolver();
    try {
      const cold = performance.now();
      await checker.sample(secrets);
      figures.coldSampleMs[n] = performance.now() - cold;
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const t = performance.now();
        const s = await checker.sample(secrets);
        times.push(performance.now() - t);
        if (s.findings.some((f) => f.severity !== 'info')) throw new Error(`fleet bench topology unhealthy: ${s.findings[0]!.summary}`);
      }
      const perTarget = ((await settledBytes()) - before) / n / 1024;
      const ms = median(times);
      figures.sampleMs[n] = ms;
      figures.memoryKbPerTarget[n] = perTarget;
      rows.push([String(n), figures.coldSampleMs[n]!.toFixed(0), ms.toFixed(0), ((n / ms) * 1000).toFixed(0), perTarget.toFixed(1)]);
    } finally {
      await checker.close();
    }
  }
  printTable(rows);
  console.log('  memory: heap + external growth with every connection open, over targets, after a forced GC');
  return figures;
}
