import { readFileSync } from 'node:fs';
import mysql from 'mysql2/promise';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReplicationChecker } from '../../src/check/replication';
import { parseConfig } from '../../src/config/load';
import { SecretResolver } from '../../src/config/secrets';
import type { SandboxState } from '../../src/gameday/sandbox/sandbox';
import { sql, startSandbox, stopSandbox } from '../support/sandbox';

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
    const config = parseConfig(JSON.stringify({ concurrency: 1, clusters: [{ ...plain, name: 'chain', primary: { name: 'sandbox-r1', host: '127.0.0.1', port: r1!.port }, replicas: [{ name: 'sandbox-r2', host: '127.0.0.1', port: r2!.port }] }] }), 'chain.json');
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
});
