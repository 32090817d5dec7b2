import { describe, expect, it } from 'vitest';
import { NetworkChecker } from '../../../src/monitor/network';
import { parseConfig } from '../../../src/config/load';

describe('NetworkChecker', () => {
  it("turns a target whose probe throws into that target's finding, and still measures the others", async () => {
    const config = parseConfig('network:\n  - { name: n, targets: ["127.0.0.1:9"], probes: 3, timeoutMs: 200 }\n', 'x.yml');
    // What the schema now refuses, as a config from before it did (or any address Node throws on).
    config.network[0]!.targets.unshift('127.0.0.1:99999');
    const checker = new NetworkChecker(config, () => {
      throw new Error('no CloudWatch in this test');
    });
    const { findings, observations } = await checker.sample();
    expect(findings).toHaveFindings([
      {
        code: 'HostUnreachable',
        severity: 'warning',
        target: '127.0.0.1:99999',
        summary: expect.stringContaining('replwatch could not probe 127.0.0.1:99999: '),
        details: { scope: 'monitor-config' },
      },
    ]);
    expect(observations.map((o) => [o.target, o.lossPercent])).toEqual([
      ['127.0.0.1:99999', null],
      ['127.0.0.1:9', 0],
    ]);
  });
});
