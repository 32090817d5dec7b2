import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { setLoss } from '../src/gameday/sandbox/netns';
import type { SandboxState } from '../src/gameday/sandbox/sandbox';
import { summariseHandshakes } from '../src/health/network';
import { probeNetworkTarget } from '../src/probes/network/probe';
import { ensureDebianTool, median, printTable } from './peers';

const run = promisify(execFile);
const PROBES = 200;
const REPEATS = 5;

async function ping(ns: { addr: string }): Promise<{ loss: number; ms: number }> {
  const started = performance.now();
  const out = await run('ping', ['-n', '-q', '-c', String(PROBES), '-i', '0.01', '-W', '1', ns.addr]).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
  const m = /([\d.]+)% packet loss/.exec(out.stdout);
  return { loss: m ? Number(m[1]) : NaN, ms: performance.now() - started };
}

/**
 * Issue #3's benchmark: 200 TCP-handshake probes through the sandbox's lossy namespace link at
 * P = 0.1, 0.3, 0.5 (iptables -m statistic drops SYNs and ICMP echo requests alike): wall time,
 * and the estimate's error beside what `ping -c 200 -i 0.01` measures across the same link.
 */
export async function benchPacketLoss(sb: SandboxState): Promise<void> {
  console.log(`\n== packet loss: ${PROBES} probes per estimate, ${REPEATS} estimates per setting ==`);
  if (!sb.lossyHost) {
    console.log(`  (skipped: ${sb.lossyHostSkipped})`);
    return;
  }
  const host = sb.lossyHost;
  const hasPing = ensureDebianTool('/usr/bin/ping', 'iputils-ping') !== undefined;
  const rows = [['P', 'replwatch loss % (median)', 'mean |error| pts', 'wall ms (median)', 'ping loss % (median)', 'ping |error| pts', 'ping wall ms', 'wall ratio']];
  for (const p of [0, 0.1, 0.3, 0.5]) {
    await setLoss(host, p);
    const ours: Array<{ loss: number; ms: number }> = [];
    const theirs: Array<{ loss: number; ms: number }> = [];
    for (let i = 0; i < REPEATS; i++) {
      const t = performance.now();
      const r = summariseHandshakes(await probeNetworkTarget({ group: 'bench', name: 'lossy', host: host.nsAddr, port: host.port, probes: PROBES, timeoutMs: 300 }));
      ours.push({ loss: r.lossPercent!, ms: performance.now() - t });
      if (hasPing) theirs.push(await ping({ addr: host.nsAddr }));
    }
    const err = (xs: Array<{ loss: number }>) => (xs.reduce((a, x) => a + Math.abs(x.loss - p * 100), 0) / xs.length).toFixed(1);
    const ourMs = median(ours.map((x) => x.ms));
    const pingMs = hasPing ? median(theirs.map((x) => x.ms)) : NaN;
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
}
