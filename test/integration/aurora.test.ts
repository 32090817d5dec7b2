import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudWatchClient, GetMetricDataCommand, type GetMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxState } from '../../src/sandbox/sandbox';
import { ReplicationChecker } from '../../src/monitor/replication';
import { parseConfig } from '../../src/config/load';
import { SecretResolver } from '../../src/config/secrets';
import type { MysqlReplicaObservation } from '../../src/model/observations';
import { checkJson } from '../support/cli';
import { sql, startSandbox, stopSandbox } from '../support/sandbox';

// The sandbox's servers stand in for an Aurora writer and readers (MySQL side: reachability and
// the monitor's session); AWS's AuroraReplicaLag comes from a mocked CloudWatch.

const cw = mockClient(CloudWatchClient);
let sb: SandboxState;

beforeAll(async () => {
  sb = await startSandbox();
});
afterAll(async () => {
  cw.restore();
  await stopSandbox(sb);
});

/** AuroraReplicaLag in ms per DBInstanceIdentifier, newest first, one a minute up to `at`. */
function publish(lagMs: Record<string, number[]>, at: Date): void {
  cw.reset();
  cw.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => ({
    MetricDataResults: input.MetricDataQueries!.map((q) => {
      const values = lagMs[q.MetricStat!.Metric!.Dimensions![0]!.Value!] ?? [];
      return { Id: q.Id, Values: values, Timestamps: values.map((_, i) => new Date(at.getTime() - i * 60_000)) };
    }),
  }));
}

function auroraConfig({ heartbeat = false } = {}) {
  const { heartbeat: table, ...cluster } = parse(readFileSync(sb.configFile, 'utf8')).clusters[0];
  if (heartbeat) cluster.heartbeat = table;
  cluster.aurora = true;
  cluster.replicas = cluster.replicas.map((r: { name: string }, i: number) => ({ ...r, rdsInstanceId: `db-r${i + 1}` }));
  return JSON.stringify({ clusters: [cluster] });
}

const cloudwatch = () => new CloudWatchClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });

describe('an Aurora cluster on the sandbox', () => {
  it("takes each reader's lag from AuroraReplicaLag, counts a datapoint once however often it is read, and ignores replication threads", async () => {
    const checker = new ReplicationChecker(parseConfig(auroraConfig(), 'aurora.json'), { cloudwatch });
    // A stopped thread is no finding on an Aurora reader: it has none to stop.
    await sql(sb, 'sandbox-r2', 'STOP SLAVE');
    try {
      const sample = async () => {
        const s = await checker.sample(new SecretResolver());
        return {
          findings: s.findings,
          lag: (t: string) => s.observations.find((o) => o.target === t) as MysqlReplicaObservation,
        };
      };
      const first = new Date(Date.now() - 60_000);
      publish({ 'db-r1': [12_000], 'db-r2': [20] }, first);
      const one = await sample();
      expect(one).toHaveFindings([]);
      expect(one.lag('sandbox-r1')).toMatchObject({ lagSeconds: 12, lagSource: 'cloudwatch', ioRunning: null, sqlRunning: null, reachable: true });
      expect(one.lag('sandbox-r2')).toMatchObject({ lagSeconds: 0.02, lagSource: 'cloudwatch' });
      const dims = cw.commandCalls(GetMetricDataCommand)[0]!.args[0].input.MetricDataQueries!.map((q) => q.MetricStat!.Metric!.Dimensions![0]!.Value);
      expect(dims).toEqual(['db-r1', 'db-r2']);
      // The same minute's datapoint again: still one sample of the two that must agree.
      expect(await sample()).toHaveFindings([]);
      publish({ 'db-r1': [14_000, 12_000] }, new Date());
      const three = await sample();
      expect(three).toHaveFindings(
        [
          { code: 'ReplicaLagging', severity: 'warning', target: 'sandbox-r1' },
          { code: 'LagUnknown', severity: 'warning', target: 'sandbox-r2' },
        ],
        { inOrder: true },
      );
      expect(three.lag('sandbox-r1').lagSeconds).toBe(14);
    } finally {
      await sql(sb, 'sandbox-r2', 'START SLAVE');
      await checker.close();
    }
  });

  it("judges a one-shot check on CloudWatch's own earlier datapoints: no waiting minutes for new ones", async () => {
    const file = join(sb.dir, 'aurora.json');
    writeFileSync(file, auroraConfig());
    publish({ 'db-r1': [41_000, 35_000, 33_000], 'db-r2': [10] }, new Date());
    const { code, report } = await checkJson(file);
    expect(code).toBe(2);
    expect(report.findings.map((f) => [f.code, f.severity, f.target, f.details.samples])).toEqual([['ReplicaLagging', 'critical', 'sandbox-r1', [35, 41]]]);
    // No re-sampling to confirm it (that is for lag measured here, not AWS's).
    expect(cw.commandCalls(GetMetricDataCommand)).toHaveLength(1);
  });

  it('counts a datapoint read again after a sample without one as a new sample of its own, not twice', async () => {
    const checker = new ReplicationChecker(parseConfig(auroraConfig(), 'aurora.json'), { cloudwatch });
    try {
      const codes = async () => (await checker.sample(new SecretResolver())).findings.filter((f) => f.target === 'sandbox-r1').map((f) => f.code);
      const t1 = new Date();
      publish({ 'db-r1': [3_000], 'db-r2': [10] }, new Date(t1.getTime() - 60_000));
      expect(await codes()).toEqual([]);
      publish({ 'db-r1': [40_000, 3_000], 'db-r2': [10] }, t1);
      expect(await codes()).toEqual([]);
      cw.reset();
      cw.on(GetMetricDataCommand).rejects(new Error('Rate exceeded'));
      expect(await codes()).toEqual(['LagUnknown']);
      // 40 s again, the same datapoint as two samples ago: the window is [unknown, 40], not [40, 40].
      publish({ 'db-r1': [40_000, 3_000], 'db-r2': [10] }, t1);
      expect(await codes()).toEqual([]);
    } finally {
      await checker.close();
    }
  });

  it("takes each reader's lag from the heartbeat when the cluster has one, and never asks CloudWatch", async () => {
    publish({}, new Date());
    const checker = new ReplicationChecker(parseConfig(auroraConfig({ heartbeat: true }), 'aurora.json'), { cloudwatch });
    try {
      const s = await checker.sample(new SecretResolver());
      expect(s.findings.map((f) => f.code)).toEqual([]);
      const readers = s.observations.filter((o): o is MysqlReplicaObservation => o.kind === 'mysql-replica');
      expect(readers.map((o) => [o.target, o.lagSource])).toEqual([
        ['sandbox-r1', 'heartbeat'],
        ['sandbox-r2', 'heartbeat'],
      ]);
      for (const o of readers) expect(o.lagSeconds).toBeLessThan(5);
      expect(cw.commandCalls(GetMetricDataCommand)).toHaveLength(0);
    } finally {
      await checker.close();
    }
  });
});
