import { readFileSync } from 'node:fs';
import mysql from 'mysql2/promise';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReplicationChecker } from '../../src/monitor/replication';
import { parseConfig } from '../../src/config/load';
import { SecretResolver } from '../../src/config/secrets';
import type { SandboxState } from '../../src/sandbox/sandbox';
import { checkJson } from '../support/cli';
import { sql, startSandbox, stopSandbox, waitFor } from '../support/sandbox';

/** Topologies where a naive comparison of GTID sets sees errant transactions that are not. */
let sb: SandboxState;

beforeAll(async () => {
  sb = await startSandbox();
});
afterAll(async () => {
  await stopSandbox(sb);
});

describe('errant transactions, none where there are none', () => {
  it('sees none through a chain (the primary is itself a replica) under a stream of writes', async () => {
    const [upstream, r1, r2] = sb.servers;
    const cluster = parse(readFileSync(sb.configFile, 'utf8')).clusters[0];
    const { heartbeat: _none, ...plain } = cluster;
    // upstream -> r1 -> r2; replwatch watches r1 as the primary, probing one server at a time.
    const config = parseConfig(
      JSON.stringify({
        concurrency: 1,
        clusters: [
          {
            ...plain,
            name: 'chain',
            primary: { name: 'sandbox-r1', host: '127.0.0.1', port: r1!.port },
            replicas: [{ name: 'sandbox-r2', host: '127.0.0.1', port: r2!.port }],
          },
        ],
      }),
      'chain.json',
    );
    await sql(sb, 'sandbox-r2', `STOP SLAVE; CHANGE MASTER TO MASTER_PORT = ${r1!.port}; START SLAVE`);
    await sql(sb, 'sandbox-primary', 'CREATE TABLE app.stream (id INT AUTO_INCREMENT PRIMARY KEY, v INT)');
    const writer = await mysql.createConnection({ socketPath: upstream!.socket, user: 'root' });
    const checker = new ReplicationChecker(config);
    let writing = true;
    const writes = (async () => {
      while (writing) await writer.query('INSERT INTO app.stream (v) VALUES (1)');
    })();
    try {
      const errant: string[] = [];
      for (let i = 0; i < 40; i++) {
        const { findings } = await checker.sample(new SecretResolver());
        errant.push(...findings.filter((f) => f.code === 'ErrantTransactions').map((f) => String(f.details.errant)));
        expect(findings.filter((f) => f.code === 'WrongPrimary' || f.code === 'PrimaryUnreachable')).toEqual([]);
      }
      expect(errant).toEqual([]);
    } finally {
      writing = false;
      await writes;
      await writer.end();
      await checker.close();
      await sql(sb, 'sandbox-r2', `STOP SLAVE; CHANGE MASTER TO MASTER_PORT = ${upstream!.port}; START SLAVE`);
    }
  });

  it("does not count another source's transactions on a multi-source replica as errant", async () => {
    const r2 = sb.servers.find((s) => s.name === 'sandbox-r2')!;
    // A quiet primary, so that the replicas hold the same position when r1 opens its second connection.
    await sql(sb, 'sandbox-primary', 'ALTER EVENT percona.replwatch_heartbeat DISABLE');
    const [{ p }] = (await sql(sb, 'sandbox-primary', 'SELECT @@gtid_binlog_pos AS p')) as [{ p: string }];
    for (const r of ['sandbox-r1', 'sandbox-r2']) expect(await sql(sb, r, `SELECT MASTER_GTID_WAIT('${p}', 10) AS w`)).toEqual([{ w: 0 }]);
    // r2 stands in for another source: its own writes in domain 5, which r1 also replicates.
    await sql(
      sb,
      'sandbox-r2',
      'SET GLOBAL read_only = 0; SET SESSION gtid_domain_id = 5; CREATE DATABASE side; CREATE TABLE side.t (id INT PRIMARY KEY); INSERT INTO side.t VALUES (1); SET GLOBAL read_only = 1',
    );
    await sql(
      sb,
      'sandbox-r1',
      `CHANGE MASTER 'side' TO MASTER_HOST = '127.0.0.1', MASTER_PORT = ${r2.port}, MASTER_USER = 'repl', MASTER_PASSWORD = '${sb.password}', MASTER_USE_GTID = slave_pos, DO_DOMAIN_IDS = (5), MASTER_CONNECT_RETRY = 1; START SLAVE 'side'`,
    );
    await waitFor(
      'r1 to take side.t from its second source',
      async () =>
        ((await sql(sb, 'sandbox-r1', "SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'side'")) as Array<{ n: number }>)[0]!.n === 1,
    );
    const { report } = await checkJson(sb.configFile);
    expect(report.findings.filter((f) => f.target === 'sandbox-r1' && f.severity !== 'info')).toEqual([]);
    // r2 wrote them itself, outside replication: for the cluster, they are errant there.
    expect(String(report.findings.find((f) => f.code === 'ErrantTransactions' && f.target === 'sandbox-r2')?.details.errant)).toMatch(/\b5-3-\d+/);
  });
});
