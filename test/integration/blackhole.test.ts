import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handshake } from '../../src/probes/network/handshake';
import { netnsUnsupported, setLoss } from '../../src/sandbox/netns';
import type { SandboxState } from '../../src/sandbox/sandbox';
import { cliProcess } from '../support/cli';
import { startSandbox, stopSandbox } from '../support/sandbox';

const tcpHandles = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;

// A blackholed host needs a network namespace whose every SYN is dropped: root only (CI is root).
describe.skipIf(netnsUnsupported() !== undefined)('a blackholed host (every SYN dropped)', () => {
  let sb: SandboxState;
  beforeAll(async () => {
    sb = await startSandbox();
    await setLoss(sb.lossyHost!, 1);
  });
  afterAll(() => stopSandbox(sb));

  it('a handshake that times out while still connecting closes its socket at once', async () => {
    const before = tcpHandles();
    expect(await handshake(sb.lossyHost!.nsAddr, sb.lossyHost!.port, 200)).toMatchObject({ delivered: false, reason: 'timeout' });
    await new Promise((r) => setTimeout(r, 50));
    expect(tcpHandles()).toBe(before);
  });

  it('`check` reports it unreachable and the process exits, holding no socket open', () => {
    // Before, each timed-out probe's socket lived on until the kernel gave up (about 2 minutes).
    const r = cliProcess(['check', '--config', sb.configFile, '--json'], {}, 30_000);
    expect(r.code).toBe(2);
    const report = JSON.parse(r.stdout) as { findings: Array<{ code: string; target: string }> };
    expect(report.findings).toContainEqual(expect.objectContaining({ code: 'HostUnreachable', target: `${sb.lossyHost!.nsAddr}:${sb.lossyHost!.port}` }));
  }, 40_000);
});
