import { connect, createServer, type Server, type Socket } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxState } from '../../src/sandbox/sandbox';
import type { CheckReport } from '../../src/monitor/report';
import { ReplicationChecker } from '../../src/monitor/replication';
import { parseConfig } from '../../src/config/load';
import { SecretResolver } from '../../src/config/secrets';
import { checkJson, cliProcess } from '../support/cli';
import { sql, startSandbox, stopSandbox, waitFor } from '../support/sandbox';

let sb: SandboxState;

const check = (config = sb.configFile) => checkJson(config);

async function healthy(): Promise<boolean> {
  return (await check()).report.findings.length === 0;
}

beforeAll(async () => {
  sb = await startSandbox();
});
afterAll(async () => {
  await stopSandbox(sb);
});

describe('replwatch check on a real GTID topology', () => {
  it('reports a healthy topology with no findings and exit 0, lag from the heartbeat', async () => {
    const r = cliProcess(['check', '--config', sb.configFile, '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as CheckReport;
    expect(report.findings).toEqual([]);
    expect(Number.isNaN(Date.parse(report.checkedAt))).toBe(false);
    const replicas = report.observations.filter((o) => o.kind === 'mysql-replica');
    expect(replicas.map((o) => o.target)).toEqual(['sandbox-r1', 'sandbox-r2']);
    for (const o of replicas) {
      expect(o).toMatchObject({ cluster: 'sandbox', reachable: true, lagSource: 'heartbeat', ioRunning: true, sqlRunning: true, readOnly: true });
      expect(o.lagSeconds).toBeGreaterThanOrEqual(0);
      expect(o.lagSeconds).toBeLessThan(2);
    }
    expect(report.observations.filter((o) => o.kind === 'memcache').map((o) => o.target)).toEqual(sb.memcached.map((m) => `127.0.0.1:${m.port}`));
    expect(report.observations.find((o) => o.kind === 'network')).toMatchObject({
      group: 'sandbox-hosts',
      target: `127.0.0.1:${sb.servers[0]!.port}`,
      lossPercent: 0,
    });
    const table = cliProcess(['check', '--config', sb.configFile]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/sandbox\/sandbox-r2\s+replica\s+up/);
    expect(table.stdout).toContain('OK: no findings');
  });

  it('names a broken SQL thread with its error and the runbook, exit 2, the other replica clean', async () => {
    await sql(sb, 'sandbox-r1', "SET sql_log_bin=0; INSERT INTO app.accounts VALUES (40, 'only-on-r1', 0); SET sql_log_bin=1");
    await sql(sb, 'sandbox-primary', "INSERT INTO app.accounts VALUES (40, 'from-primary', 0)");
    await waitFor('r1 SQL thread to stop', async () => (await check()).report.findings.some((f) => f.code === 'ReplicationBroken'));
    const { code, report } = await check();
    expect(code).toBe(2);
    const broken = report.findings.find((f) => f.code === 'ReplicationBroken')!;
    expect(broken).toMatchObject({
      severity: 'critical',
      cluster: 'sandbox',
      target: 'sandbox-r1',
      summary: "SQL thread stopped: 1062 Duplicate entry '40' for key 'PRIMARY'",
      // With --config, so that it runs as printed from any directory.
      runbook: `replwatch runbook rebuild-replica --cluster sandbox --replica sandbox-r1 --config ${sb.configFile}`,
    });
    expect(broken.details.lastSqlError).toContain('Duplicate entry');
    expect(report.findings.filter((f) => f.target === 'sandbox-r2')).toEqual([]);
    expect(report.findings.filter((f) => f.severity !== 'info')).toHaveLength(1);

    await sql(sb, 'sandbox-r1', 'SET sql_log_bin=0; DELETE FROM app.accounts WHERE id = 40; SET sql_log_bin=1; START SLAVE');
    await waitFor('r1 to recover', healthy);
  });

  it('tells a replica stopped by hand (STOP SLAVE) from a broken one: ReplicationStopped, exit 1', async () => {
    await sql(sb, 'sandbox-r2', 'STOP SLAVE');
    const { code, report } = await check();
    expect(code).toBe(1);
    expect(report.findings).toHaveLength(1);
    expect(report.findings[0]).toMatchObject({ code: 'ReplicationStopped', severity: 'warning', target: 'sandbox-r2' });
    expect(report.findings[0]!.action).toContain('START SLAVE');
    const obs = report.observations.find((o) => o.target === 'sandbox-r2');
    expect(obs).toMatchObject({ ioRunning: false, sqlRunning: false });
    await sql(sb, 'sandbox-r2', 'START SLAVE');
    await waitFor('r2 to replicate again', healthy);
  });

  it('flags a replica with read_only off', async () => {
    await sql(sb, 'sandbox-r1', 'SET GLOBAL read_only = 0');
    const { code, report } = await check();
    expect(code).toBe(1);
    expect(report.findings.map((f) => [f.code, f.target])).toEqual([['ReplicaWritable', 'sandbox-r1']]);
    await sql(sb, 'sandbox-r1', 'SET GLOBAL read_only = 1');
    expect(await healthy()).toBe(true);
  });

  it('turns a hung (SIGSTOPped) replica into ReplicaUnreachable within its timeout, and the others stay checked', async () => {
    const r2 = sb.servers.find((s) => s.name === 'sandbox-r2')!;
    process.kill(r2.pid, 'SIGSTOP');
    try {
      const started = Date.now();
      const { code, report } = await check();
      const elapsed = Date.now() - started;
      expect(code).toBe(2);
      expect(report.findings.filter((f) => f.severity !== 'info').map((f) => [f.code, f.target])).toEqual([['ReplicaUnreachable', 'sandbox-r2']]);
      expect(report.findings[0]!.summary).toMatch(/no answer within 1000 ms|ETIMEDOUT/);
      expect(report.observations.find((o) => o.target === 'sandbox-r1')).toMatchObject({ reachable: true, sqlRunning: true });
      // sandbox timeoutMs is 1000: the connect deadline, plus a second of slack.
      expect(elapsed).toBeLessThan(2000);
    } finally {
      process.kill(r2.pid, 'SIGCONT');
    }
    await waitFor('r2 to answer again', healthy);
  });

  it('checks every cluster when another one is blackholed, within the timeout', async () => {
    const sockets: Socket[] = [];
    const listen = async (): Promise<[Server, number]> => {
      const srv = createServer((s) => sockets.push(s)); // accepts, never greets
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
      return [srv, (srv.address() as { port: number }).port];
    };
    const [hole1, port] = await listen();
    const [hole2, port2] = await listen();
    const cfg = join(sb.dir, 'two-clusters.yml');
    const sandboxCluster = (await import('yaml')).parse((await import('node:fs')).readFileSync(sb.configFile, 'utf8')).clusters[0];
    writeFileSync(
      cfg,
      JSON.stringify({
        clusters: [
          {
            name: 'dark',
            primary: { host: '127.0.0.1', port },
            replicas: [{ name: 'dark-r1', host: '127.0.0.1', port: port2 }],
            user: 'x',
            password: 'y',
            timeoutMs: 500,
          },
          sandboxCluster,
        ],
      }),
    );
    try {
      const started = Date.now();
      const { code, report } = await check(cfg);
      expect(Date.now() - started).toBeLessThan(1500);
      expect(code).toBe(2);
      expect(
        report.findings
          .filter((f) => f.cluster === 'dark')
          .map((f) => [f.code, f.severity])
          .sort(),
      ).toEqual([
        ['PrimaryUnreachable', 'critical'],
        ['ReplicaUnreachable', 'critical'],
      ]);
      expect(report.findings.filter((f) => f.cluster === 'sandbox')).toEqual([]);
      expect(
        report.observations.filter((o) => (o.kind === 'mysql-primary' || o.kind === 'mysql-replica') && o.cluster === 'sandbox' && o.reachable),
      ).toHaveLength(3);
    } finally {
      for (const s of sockets) s.destroy();
      hole1.close();
      hole2.close();
    }
  });

  it('never prints a password, whether it comes from env: or is rejected by the server', async () => {
    const secret = 'Sup3r-Secret-Value-42';
    const cluster = (await import('yaml')).parse((await import('node:fs')).readFileSync(sb.configFile, 'utf8')).clusters[0];
    const cfg = join(sb.dir, 'env-password.yml');
    writeFileSync(cfg, JSON.stringify({ clusters: [{ ...cluster, heartbeat: { table: cluster.heartbeat.table }, password: 'env:RW_TEST_PASSWORD' }] }));
    const wrong = cliProcess(['check', '--config', cfg, '--json'], { RW_TEST_PASSWORD: secret });
    // Every server answered and refused the password: the monitor is misconfigured, nothing is down,
    // and nothing of the cluster was checked: unknown (3), naming it; the findings stay in the JSON.
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toMatch(/^replwatch: cluster sandbox cannot be checked: every server refused the monitor \(the monitor's account was refused: 1045 /);
    const refused = (JSON.parse(wrong.stdout) as CheckReport).findings;
    expect(refused.map((f) => [f.code, f.severity, f.target, f.details.scope])).toEqual([
      ['MonitorRefused', 'warning', 'sandbox-primary', 'monitor-path'],
      ['MonitorRefused', 'warning', 'sandbox-r1', 'monitor-path'],
      ['MonitorRefused', 'warning', 'sandbox-r2', 'monitor-path'],
    ]);
    expect(refused[0]!.summary).toContain("the monitor's account was refused: 1045 Access denied for user 'replwatch'");
    expect(refused[0]!.action).toContain('password');
    expect(refused[0]!.action).not.toContain('promote');
    expect(wrong.stdout + wrong.stderr).not.toContain(secret);
    const right = cliProcess(['check', '--config', cfg], { RW_TEST_PASSWORD: sb.password });
    expect(right.code).toBe(0);
    expect(right.stdout + right.stderr).not.toContain(sb.password);
    // A reference that resolves to nothing means the check cannot run: unknown, naming the reference.
    const unset = cliProcess(['check', '--config', cfg, '--json'], {});
    expect(unset.code).toBe(3);
    expect(unset.stdout).toBe('');
    expect(unset.stderr).toContain('environment variable RW_TEST_PASSWORD is not set (password env:RW_TEST_PASSWORD)');
  });

  it("checks every other cluster when one cluster's password cannot be read, and names the blind one", async () => {
    const sandbox = (await import('yaml')).parse((await import('node:fs')).readFileSync(sb.configFile, 'utf8')).clusters[0];
    const config = parseConfig(JSON.stringify({ clusters: [{ ...sandbox, name: 'blind', password: 'env:RW_TEST_UNSET' }, sandbox] }), 'two-clusters.json');
    const checker = new ReplicationChecker(config);
    try {
      const { findings, observations } = await checker.sample(new SecretResolver({}));
      expect(findings.map((f) => [f.code, f.severity, f.cluster, f.target, f.details.scope])).toEqual([
        ['ClusterUnchecked', 'warning', 'blind', 'sandbox-primary', 'monitor-config'],
      ]);
      expect(findings[0]!.summary).toBe(
        'cluster blind is not checked: its password cannot be read: two-clusters.json: clusters[0].password (cluster blind): environment variable RW_TEST_UNSET is not set (password env:RW_TEST_UNSET)',
      );
      expect(findings[0]!.action).not.toContain('promote');
      expect(
        observations
          .filter((o) => o.kind === 'mysql-replica' || o.kind === 'mysql-primary')
          .map((o) => [o.cluster, o.target, (o as { reachable: boolean }).reachable]),
      ).toEqual([
        ['sandbox', 'sandbox-primary', true],
        ['sandbox', 'sandbox-r1', true],
        ['sandbox', 'sandbox-r2', true],
      ]);
      // Once the reference resolves again, the next sample checks the cluster: nothing was cached.
      const fixed = await checker.sample(new SecretResolver({ RW_TEST_UNSET: sb.password }));
      expect(fixed.findings).toEqual([]);
      expect(fixed.observations.filter((o) => 'cluster' in o && o.cluster === 'blind')).toHaveLength(3);
    } finally {
      await checker.close();
    }
  });

  it('reports a privilege the monitor lacks on the primary as its account refused (a warning), never as a down primary', async () => {
    await sql(sb, 'sandbox-primary', "SET sql_log_bin = 0; REVOKE SLAVE MONITOR ON *.* FROM 'replwatch'@'%'; SET sql_log_bin = 1");
    try {
      const { code, report } = await check();
      expect(code).toBe(1);
      const findings = report.findings.filter((f) => f.severity !== 'info');
      expect(findings.map((f) => [f.code, f.severity, f.target])).toEqual([['MonitorRefused', 'warning', 'sandbox-primary']]);
      expect(findings[0]!.details.scope).toBe('monitor-path');
      expect(findings[0]!.summary).toContain(
        "the monitor's account was refused: 1227 Access denied; you need (at least one of) the SUPER, SLAVE MONITOR privilege(s)",
      );
      expect(findings[0]!.action).toContain('grants');
      expect(findings[0]!.action).not.toContain('promote');
    } finally {
      await sql(sb, 'sandbox-primary', "SET sql_log_bin = 0; GRANT SLAVE MONITOR ON *.* TO 'replwatch'@'%'; SET sql_log_bin = 1");
    }
    await waitFor('the grant to be back', healthy);
  });

  it('advises (info, exit 0) when the monitor may read every table, and leaves the least-privilege grants alone', async () => {
    expect((await check()).report.findings).toEqual([]);
    await sql(sb, 'sandbox-r1', "SET sql_log_bin = 0; GRANT SELECT ON *.* TO 'replwatch'@'%'; SET sql_log_bin = 1");
    try {
      const { code, report } = await check();
      expect(code).toBe(0);
      expect(report.findings.map((f) => [f.code, f.severity, f.target])).toEqual([['MonitorOverPrivileged', 'info', 'sandbox-r1']]);
      expect(report.findings[0]!.details.excess).toEqual(['SELECT ON *.*']);
    } finally {
      await sql(sb, 'sandbox-r1', "SET sql_log_bin = 0; REVOKE SELECT ON *.* FROM 'replwatch'@'%'; SET sql_log_bin = 1");
    }
    expect(await healthy()).toBe(true);
  });

  it('keeps an unreachable primary a monitor-path warning when the replicas follow it under another name', async () => {
    const primary = sb.servers.find((s) => s.role === 'primary')!;
    // The monitor reaches the primary through a relay (another host:port); the replicas go direct.
    const links: Socket[] = [];
    const relay = createServer((client) => {
      const upstream = connect(primary.port, '127.0.0.1');
      links.push(client, upstream);
      client.pipe(upstream).on('error', () => upstream.destroy());
      upstream.pipe(client).on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    const cluster = (await import('yaml')).parse((await import('node:fs')).readFileSync(sb.configFile, 'utf8')).clusters[0];
    const cfg = join(sb.dir, 'relayed-primary.yml');
    writeFileSync(
      cfg,
      JSON.stringify({ clusters: [{ ...cluster, primary: { ...cluster.primary, host: 'localhost', port: (relay.address() as { port: number }).port } }] }),
    );
    try {
      expect((await check(cfg)).report.findings.filter((f) => f.severity !== 'info')).toEqual([]);
      await new Promise<void>((r) => {
        relay.close(() => r());
        for (const s of links) s.destroy();
      });
      const { code, report } = await check(cfg);
      expect(code).toBe(1);
      const findings = report.findings.filter((f) => f.severity !== 'info');
      expect(findings.map((f) => [f.code, f.severity, f.target])).toEqual([['MonitorPathDown', 'warning', 'sandbox-primary']]);
      expect(findings[0]!.details.scope).toBe('monitor-path');
      expect(findings[0]!.summary).toContain('sandbox-r1, sandbox-r2 still replicate');
    } finally {
      relay.close();
      for (const s of links) s.destroy();
    }
  });
});
