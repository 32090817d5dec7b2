import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxState } from '../../src/sandbox/sandbox';
import type { CheckReport } from '../../src/monitor/report';
import type { MysqlReplicaObservation } from '../../src/model/observations';
import { ReplicationChecker } from '../../src/monitor/replication';
import { loadConfig } from '../../src/config/load';
import { SecretResolver } from '../../src/config/secrets';
import { checkJson } from '../support/cli';
import { sql, startSandbox, stopSandbox, waitFor } from '../support/sandbox';

let sb: SandboxState;
let lagConfig: string;
let sbmConfig: string;
const DELAY = 4;

const check = checkJson;

const replica = (report: CheckReport, name: string) => report.observations.find((o) => o.target === name) as MysqlReplicaObservation;

beforeAll(async () => {
  sb = await startSandbox();
  const cluster = parse(readFileSync(sb.configFile, 'utf8')).clusters[0];
  lagConfig = join(sb.dir, 'lag.yml');
  writeFileSync(lagConfig, JSON.stringify({ clusters: [{ ...cluster, lag: { warningSeconds: 2, criticalSeconds: 3, sustainedSamples: 2 } }] }));
  const { heartbeat: _none, ...withoutHeartbeat } = cluster;
  sbmConfig = join(sb.dir, 'sbm.yml');
  writeFileSync(sbmConfig, JSON.stringify({ clusters: [{ ...withoutHeartbeat, lag: { warningSeconds: 2, criticalSeconds: 3, sustainedSamples: 2 } }] }));
});
afterAll(async () => {
  await stopSandbox(sb);
});

describe('lag', () => {
  it('measures a MASTER_DELAY replica from the heartbeat within a second of the truth, critical once sustained', async () => {
    await sql(sb, 'sandbox-r1', `STOP SLAVE; CHANGE MASTER TO MASTER_DELAY = ${DELAY}; START SLAVE`);
    await waitFor('lag to build up', async () => (replica((await check(lagConfig)).report, 'sandbox-r1').lagSeconds ?? 0) >= DELAY - 0.5, 20_000);
    const { code, report } = await check(lagConfig);
    expect(code).toBe(2);
    const lagging = report.findings.filter((f) => f.code === 'ReplicaLagging');
    expect(lagging.map((f) => [f.target, f.severity])).toEqual([['sandbox-r1', 'critical']]);
    expect(lagging[0]!.details.samples).toHaveLength(2);
    const obs = replica(report, 'sandbox-r1');
    expect(obs.lagSource).toBe('heartbeat');
    expect(Math.abs(obs.lagSeconds! - DELAY)).toBeLessThanOrEqual(1);
    expect(replica(report, 'sandbox-r2').lagSeconds).toBeLessThan(1.5);
  });

  it('falls back to Seconds_Behind_Master without a heartbeat table, and says so', async () => {
    const { report } = await check(sbmConfig);
    const obs = replica(report, 'sandbox-r1');
    expect(obs.lagSource).toBe('seconds_behind');
    expect(obs.lagSeconds).toBeGreaterThanOrEqual(DELAY - 1);
    expect(report.findings.some((f) => f.code === 'ReplicaLagging' && f.target === 'sandbox-r1')).toBe(true);
    expect(replica(report, 'sandbox-r2').lagSource).toBe('seconds_behind');
  });

  it('reports a stopped SQL thread as stopped, never as healthy lag, even though Seconds_Behind is NULL', async () => {
    await sql(sb, 'sandbox-r1', 'STOP SLAVE SQL_THREAD');
    const { report } = await check(sbmConfig);
    expect(replica(report, 'sandbox-r1').lagSeconds).toBeNull();
    expect(report.findings.filter((f) => f.target === 'sandbox-r1').map((f) => f.code)).toEqual(['ReplicationStopped']);
    await sql(sb, 'sandbox-r1', 'STOP SLAVE; CHANGE MASTER TO MASTER_DELAY = 0; START SLAVE');
    await waitFor('r1 to catch up', async () => (await check(lagConfig)).report.findings.length === 0, 20_000);
  });

  it("measures heartbeat lag by the primary's clock alone: a replica clock 30 s ahead adds no lag", async () => {
    const config = await loadConfig(lagConfig);
    const cluster = config.clusters[0]!;
    const r1 = cluster.replicas.find((r) => r.name === 'sandbox-r1')!;
    const checker = new ReplicationChecker(config);
    try {
      await checker.sample(new SecretResolver());
      // The monitor's own session on r1 stands in for a server whose clock runs ahead.
      const session = await checker.connections.get(
        { key: 'sandbox/sandbox-r1', host: r1.host, port: r1.port, user: cluster.user, timeoutMs: cluster.timeoutMs },
        async () => sb.password,
      );
      await session.query('SET timestamp = UNIX_TIMESTAMP(NOW(6)) + 30');
      const { observations, findings } = await checker.sample(new SecretResolver());
      const obs = observations.find((o) => o.target === 'sandbox-r1') as MysqlReplicaObservation;
      expect(obs.lagSource).toBe('heartbeat');
      expect(obs.lagSeconds).toBeLessThan(1.5);
      expect(findings.filter((f) => f.code === 'ReplicaLagging')).toEqual([]);
    } finally {
      await checker.close();
    }
  });
});

describe('errant transactions', () => {
  it('finds a transaction written only on a replica, with the GTID and the runbook', async () => {
    await sql(sb, 'sandbox-r2', "SET GLOBAL read_only = 0; INSERT INTO app.accounts VALUES (99, 'errant', 0); SET GLOBAL read_only = 1");
    const { code, report } = await check(lagConfig);
    expect(code).toBe(2);
    const errant = report.findings.find((f) => f.code === 'ErrantTransactions')!;
    expect(errant).toMatchObject({
      severity: 'critical',
      target: 'sandbox-r2',
      runbook: `replwatch runbook rebuild-replica --cluster sandbox --replica sandbox-r2 --config ${lagConfig}`,
    });
    // Server ids: primary 1, r1 2, r2 3; MariaDB GTIDs are domain-server-seq.
    expect(errant.details.errant).toMatch(/^0-3-\d+$/);
    expect(report.findings.some((f) => f.code === 'ErrantTransactions' && f.target === 'sandbox-r1')).toBe(false);
  });
});
