import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { splitHostPort, type Config } from '../config/schema';
import type { Finding } from '../model/findings';
import type { NetworkObservation } from '../model/observations';
import { analyseLoss, summariseHandshakes, type LossMeasurement } from '../health/network';
import { probeNetworkTarget } from '../probes/network/probe';
import { readNetworkMonitor } from '../probes/cloudwatch/networkMonitor';

/** Targets probed at once; each has up to MAX_IN_FLIGHT (32) handshakes in flight. */
export const TARGETS_IN_FLIGHT = 8;

/**
 * Samples every network group: replwatch's own TCP handshakes, and AWS Network Monitor probes
 * where a group names them (read through `cloudwatch`, created only when needed).
 */
export class NetworkChecker {
  constructor(
    private readonly config: Config,
    private readonly cloudwatch: () => CloudWatchClient,
  ) {}

  async sample(now = new Date()): Promise<{ findings: Finding[]; observations: NetworkObservation[] }> {
    const measurements: Array<{ group: Config['network'][number]; m: LossMeasurement }> = [];
    const unprobed: Finding[] = [];
    const targets = this.config.network.flatMap((g) => g.targets.map((t) => ({ g, t })));
    for (let i = 0; i < targets.length; i += TARGETS_IN_FLIGHT) {
      const batch = await Promise.all(
        targets.slice(i, i + TARGETS_IN_FLIGHT).map(async ({ g, t }) => {
          const { host, port } = splitHostPort(t);
          try {
            const reading = await probeNetworkTarget({ group: g.name, name: t, host, port, probes: g.probes, timeoutMs: g.timeoutMs });
            return { group: g, m: summariseHandshakes(reading) };
          } catch (e) {
            // A probe that throws (Node refusing the address itself) is this target's problem only:
            // one rejection here would reject the whole sample, and every other target's figures.
            const error = (e as Error).message;
            unprobed.push({
              code: 'HostUnreachable',
              severity: 'warning',
              cluster: g.name,
              target: t,
              summary: `replwatch could not probe ${t}: ${error}`,
              action: `check ${t} in the network group ${g.name} of the config`,
              details: { scope: 'monitor-config', error },
            });
            return {
              group: g,
              m: { group: g.name, target: t, source: 'tcp' as const, lossPercent: null, rttMs: { p50: null, p95: null, max: null }, jitterMs: null, error },
            };
          }
        }),
      );
      measurements.push(...batch);
    }
    for (const g of this.config.network.filter((x) => x.awsNetworkMonitor)) {
      const nm = g.awsNetworkMonitor!;
      try {
        for (const f of await readNetworkMonitor(this.cloudwatch(), nm.monitorName, nm.probes, now)) {
          measurements.push({
            group: g,
            m: {
              group: g.name,
              target: f.target,
              source: 'networkmonitor',
              lossPercent: f.lossPercent,
              rttMs: { p50: f.rttMs, p95: null, max: null },
              jitterMs: null,
            },
          });
        }
      } catch (e) {
        // AWS being unreadable is not the network being down: the figures are absent, and say why.
        for (const target of Object.keys(nm.probes)) {
          measurements.push({
            group: g,
            m: {
              group: g.name,
              target,
              source: 'networkmonitor',
              lossPercent: null,
              rttMs: { p50: null, p95: null, max: null },
              jitterMs: null,
              error: (e as Error).message,
            },
          });
        }
      }
    }
    const analysed = measurements.map(({ group, m }) => analyseLoss(group.loss, m));
    return { findings: [...unprobed, ...analysed.flatMap((a) => a.findings)], observations: analysed.map((a) => a.observation) };
  }
}
