import { execFile } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { startDaemon } from './processes';

const run = promisify(execFile);

/**
 * A test host in a network namespace, joined to this one by a veth pair addressed from
 * 198.18.0.0/15 (the benchmarking range: probes only ever target loopback and these hosts), with
 * a real memcached inside. Packet loss is made with `iptables -m statistic` in the namespace
 * (tc netem is not available on these machines).
 */
export interface LossyHost {
  ns: string;
  hostVeth: string;
  hostAddr: string;
  nsAddr: string;
  port: number;
  pid: number;
  lossProbability: number;
}

/** Why lossy hosts cannot be made here, or undefined when they can. */
export function netnsUnsupported(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces and iptables)';
  if (!['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].some(existsSync)) return 'needs iproute2 (ip)';
  if (!['/usr/sbin/iptables', '/sbin/iptables', '/usr/bin/iptables'].some(existsSync)) return 'needs iptables';
  return undefined;
}

async function ip(...args: string[]): Promise<void> {
  await run('ip', args);
}

async function usedAddresses(): Promise<string> {
  return (await run('ip', ['-o', '-4', 'addr'])).stdout;
}

export async function createLossyHost(memcachedBin: string, logFile: string): Promise<LossyHost> {
  const id = randomBytes(3).toString('hex');
  const ns = `rw-${id}`;
  const hostVeth = `rw${id}h`;
  const nsVeth = `rw${id}n`;
  // A random /30 of 198.18.0.0/15 not in use on this machine: two sandboxes never share one.
  const used = await usedAddresses();
  let base = 0;
  do {
    base = (198 << 24) + (18 << 16) + randomInt(0, 32768) * 4;
  } while (used.includes(addr(base + 1)) || used.includes(addr(base + 2)));
  const host: LossyHost = { ns, hostVeth, hostAddr: addr(base + 1), nsAddr: addr(base + 2), port: 11211, pid: 0, lossProbability: 0 };
  try {
    await ip('netns', 'add', ns);
    await ip('link', 'add', hostVeth, 'type', 'veth', 'peer', 'name', nsVeth);
    await ip('link', 'set', nsVeth, 'netns', ns);
    await ip('addr', 'add', `${host.hostAddr}/30`, 'dev', hostVeth);
    await ip('link', 'set', hostVeth, 'up');
    await ip('netns', 'exec', ns, 'ip', 'addr', 'add', `${host.nsAddr}/30`, 'dev', nsVeth);
    await ip('netns', 'exec', ns, 'ip', 'link', 'set', nsVeth, 'up');
    await ip('netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up');
    // `ip netns exec` execs its command: the pid is memcached's own.
    host.pid = startDaemon(
      'ip',
      ['netns', 'exec', ns, memcachedBin, '-l', host.nsAddr, '-p', String(host.port), '-U', '0', '-m', '8', '-t', '1', '-u', 'root'],
      logFile,
    );
    return host;
  } catch (e) {
    await destroyLossyHost(host);
    throw e;
  }
}

function addr(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

/**
 * Drops `probability` of the TCP SYNs to the host's port, and of ICMP echo requests (so `ping`
 * sees the same link), at random. 0 clears it.
 */
export async function setLoss(host: LossyHost, probability: number): Promise<void> {
  await ip('netns', 'exec', host.ns, 'iptables', '-F', 'INPUT');
  if (probability > 0) {
    const drop = (...match: string[]) =>
      ip(
        'netns',
        'exec',
        host.ns,
        'iptables',
        '-A',
        'INPUT',
        ...match,
        '-m',
        'statistic',
        '--mode',
        'random',
        '--probability',
        String(probability),
        '-j',
        'DROP',
      );
    await drop('-p', 'tcp', '--syn', '--dport', String(host.port));
    await drop('-p', 'icmp', '--icmp-type', 'echo-request');
  }
  host.lossProbability = probability;
}

/** Removes the namespace and both veth ends (the host end goes only asynchronously otherwise). */
export async function destroyLossyHost(host: Pick<LossyHost, 'ns' | 'hostVeth'>): Promise<void> {
  await ip('link', 'del', host.hostVeth).catch(() => undefined);
  await ip('netns', 'del', host.ns).catch(() => undefined);
}

/** Shell commands that undo a lossy host, for the reaper. */
export function lossyHostCleanup(host: Pick<LossyHost, 'ns' | 'hostVeth'>): string {
  return `ip link del ${host.hostVeth} 2>/dev/null; ip netns del ${host.ns} 2>/dev/null`;
}
