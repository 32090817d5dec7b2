import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setLoss, netnsUnsupported } from '../../src/sandbox/netns';
import type { SandboxState } from '../../src/sandbox/sandbox';
import { summariseHandshakes } from '../../src/health/network';
import { probeNetworkTarget } from '../../src/probes/network/probe';
import { cli } from '../support/cli';
import { startSandbox, stopSandbox } from '../support/sandbox';

// Network namespaces and iptables need root; CI runs as root, so these run there.
const unsupported = netnsUnsupported();
if (unsupported) console.log(`packet-loss tests skipped: ${unsupported}`);

let sb: SandboxState;
const PROBES = 200;

async function measure(): Promise<number> {
  const host = sb.lossyHost!;
  const r = await probeNetworkTarget({ group: 'g', name: `${host.nsAddr}:${host.port}`, host: host.nsAddr, port: host.port, probes: PROBES, timeoutMs: 300 });
  return summariseHandshakes(r).lossPercent!;
}

describe.skipIf(unsupported)('packet loss through a real lossy link (network namespace + iptables -m statistic)', () => {
  beforeAll(async () => {
    sb = await startSandbox();
  });
  afterAll(async () => {
    await stopSandbox(sb);
  });

  it('reads a clean link as under 2% loss', async () => {
    await setLoss(sb.lossyHost!, 0);
    expect(await measure()).toBeLessThan(2);
  });

  it('measures 30% random SYN loss within 8 points with 200 probes', async () => {
    await setLoss(sb.lossyHost!, 0.3);
    try {
      // Binomial(200, 0.3) has a standard deviation of 3.2 points, so +-8 is 2.5 sigma and one
      // honest run in ~80 falls outside. A second, independent run must then land inside.
      let loss = await measure();
      if (Math.abs(loss - 30) > 8) loss = await measure();
      expect(Math.abs(loss - 30)).toBeLessThanOrEqual(8);
    } finally {
      await setLoss(sb.lossyHost!, 0);
    }
  });

  it('reports PacketLoss for the lossy host and HostUnreachable when every SYN is dropped, through replwatch check', async () => {
    const target = `${sb.lossyHost!.nsAddr}:${sb.lossyHost!.port}`;
    await setLoss(sb.lossyHost!, 0.5);
    try {
      const lossy = JSON.parse((await cli('check', '--config', sb.configFile, '--json')).stdout);
      expect(lossy.findings.filter((f: { target: string }) => f.target === target)).toHaveFindings([{ code: 'PacketLoss', severity: 'critical' }]);
      const obs = lossy.observations.find((o: { kind: string; target: string }) => o.kind === 'network' && o.target === target);
      expect(obs).toMatchObject({ group: 'sandbox-hosts', source: 'tcp', sent: 50 });
      expect(obs.lossPercent).toBeGreaterThan(25);
      await setLoss(sb.lossyHost!, 1);
      const dark = await cli('check', '--config', sb.configFile, '--json');
      expect(dark.code).toBe(2);
      const findings = JSON.parse(dark.stdout).findings.filter((f: { target: string }) => f.target === target);
      expect(findings).toHaveFindings(['HostUnreachable']);
      expect(findings[0].summary).toContain('timeout: 50');
    } finally {
      await setLoss(sb.lossyHost!, 0);
    }
    const clean = JSON.parse((await cli('check', '--config', sb.configFile, '--json')).stdout);
    expect(clean.findings).toEqual([]);
  });
});
