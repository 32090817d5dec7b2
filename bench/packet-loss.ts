import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { promisify } from 'node:util';
import { cloudwatch } from '../src/aws/clients';
import { NetworkChecker } from '../src/monitor/network';
import { parseConfig } from '../src/config/load';
import { setLoss } from '../src/sandbox/netns';
import type { SandboxState } from '../src/sandbox/sandbox';
import { summariseHandshakes } from '../src/health/network';
import { probeNetworkTarget } from '../src/probes/network/probe';
import { ensureDebianTool, median, printTable } from './peers';

const run = promisify(execFile);
const PROBES = 200;
const REPEATS = 5;

async function ping(ns: { addr: string }): Promise<{ loss: number; ms: number }> {
  const started = performance.now();
  const out = await run('ping', ['-n', '-q', '-c', String(PROBES), '-i', '0.01', '-W', '1', ns.addr]).catch((e: { stdout?: string }) => ({
    stdout: e.stdout ?? '',
  }));
  const m = /([\d.]+)% packet loss/.exec(out.stdout);
  return { loss: m ? Number(m[1]) : NaN, ms: performance.now() - started };
}

export interface PacketLossFigures {
  /** One target, 200 probes on a clean link: probes a second (they are paced over about a second). */
  probesPerSecond?: number;
  pingProbesPerSecond?: number;
  /** Mean absolute error of the loss estimate at P = 0.3, in points. */
  errorAt30?: number;
  pingErrorAt30?: number;
  /** A whole network sample of FLEET_TARGETS targets: probes a second. */
  fleetProbesPerSecond: number;
}

const FLEET_TARGETS = 200;
const FLEET_PROBES = 100;

/**
 * Throughput of the network check itself: one sample of 200 targets (local listeners, one port
 * each) at 100 handshakes each, as a worker's shard of them would run.
 */
async function fleetThroughput(): Promise<number> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < FLEET_TARGETS; i++) {
      const server = createServer((socket) => socket.destroy());
      servers.push(server);
      await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
      ports.push((server.address() as { port: number }).port);
    }
    const config = parseConfig(
      JSON.stringify({ network: [{ name: 'bench', targets: ports.map((p) => `127.0.0.1:${p}`), probes: FLEET_PROBES, timeoutMs: 300 }] }),
      'network-fleet.json',
    );
    const t = performance.now();
    const sample = await new NetworkChecker(config, () => cloudwatch()).sample();
    const ms = performance.now() - t;
    if (sample.findings.length) throw new Error(`network fleet bench: ${sample.findings[0]!.summary}`);
    console.log(
      `  one network sample of ${FLEET_TARGETS} targets x ${FLEET_PROBES} probes: ${ms.toFixed(0)} ms, ${((FLEET_TARGETS * FLEET_PROBES) / (ms / 1000)).toFixed(0)} probes/s`,
    );
    return (FLEET_TARGETS * FLEET_PROBES) / (ms / 1000);
  } finally {
    for (const s of servers) s.close();
  }
}

/**
 * Issue #3's benchmark: 200 TCP-handshake probes through the sandbox's lossy namespace link at
 * P = 0.1, 0.3, 0.5 (iptables -m statistic drops SYNs and ICMP echo requests alike): wall time,
 * and the estimate's error beside what `ping -c 200 -i 0.01` measures across the same link; then
 * the check's throughput over a shard of 200 targets.
 */
export async function benchPacketLoss(sb: SandboxState): Promise<PacketLossFigures> {
  console.log(`\n== packet loss: ${PROBES} probes per estimate, ${REPEATS} estimates per setting ==`);
  if (!sb.lossyHost) {
    console.log(`  (skipped: ${sb.lossyHostSkipped})`);
    return { fleetProbesPerSecond: await fleetThroughput() };
  }
  const figures: Partial<PacketLossFigures> = {};
  const host = sb.lossyHost;
  const hasPing = ensureDebianTool('/usr/bin/ping', 'iputils-ping') !== undefined;
  const rows = [
    ['P', 'replwatch loss % (median)', 'mean |error| pts', 'wall ms (median)', 'ping loss % (median)', 'ping |error| pts', 'ping wall ms', 'wall ratio'],
  ];
  for (const p of [0, 0.1, 0.3, 0.5]) {
    await setLoss(host, p);
    const ours: Array<{ loss: number; ms: number }> = [];
    const theirs: Array<{ loss: number; ms: number }> = [];
    for (let i = 0; i < REPEATS; i++) {
      const t = performance.now();
      const r = summariseHandshakes(
        await probeNetworkTarget({ group: 'bench', name: 'lossy', host: host.nsAddr, port: host.port, probes: PROBES, timeoutMs: 300 }),
      );
      ours.push({ loss: r.lossPercent!, ms: performance.now() - t });
      if (hasPing) theirs.push(await ping({ addr: host.nsAddr }));
    }
    const meanError = (xs: Array<{ loss: number }>) => xs.reduce((a, x) => a + Math.abs(x.loss - p * 100), 0) / xs.length;
    const err = (xs: Array<{ loss: number }>) => meanError(xs).toFixed(1);
    const ourMs = median(ours.map((x) => x.ms));
    const pingMs = hasPing ? median(theirs.map((x) => x.ms)) : NaN;
    if (p === 0) {
      figures.probesPerSecond = PROBES / (ourMs / 1000);
      if (hasPing) figures.pingProbesPerSecond = PROBES / (pingMs / 1000);
    }
    if (p === 0.3) {
      figures.errorAt30 = meanError(ours);
      if (hasPing) figures.pingErrorAt30 = meanError(theirs);
    }
    rows.push([
      p.toFixed(1),
      median(ours.map((x) => x.loss)).toFixed(1),
      err(ours),
      ourMs.toFixed(0),
      hasPing ? median(theirs.map((x) => x.loss)).toFixed(1) : '-',
      hasPing ? err(theirs) : '-',
      hasPing ? pingMs.toFixed(0) : '-',
      hasPing ? (ourMs / pingMs).toFixed(2) : '-',
    ]);
  }
  await setLoss(host, 0);
  printTable(rows);
  console.log('  goal: 200 probes under 3000 ms');
  return { ...figures, fleetProbesPerSecond: await fleetThroughput() };
}
