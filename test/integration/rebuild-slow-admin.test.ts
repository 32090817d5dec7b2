import { readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load';
import { SecretResolver } from '../../src/config/secrets';
import type { SandboxState } from '../../src/sandbox/sandbox';
import { rebuildReplica } from '../../src/runbooks/rebuild';
import { MemoryStore } from '../../src/state/store';
import { checkJson } from '../support/cli';
import { sql, startSandbox, stopSandbox, waitFor } from '../support/sandbox';

let sb: SandboxState;
const links: Socket[] = [];
let relay: Server;

const COM_QUERY = 0x03;
const DELAY_MS = 1500;
const ADMIN = /^\s*(RESET MASTER|CHANGE MASTER|START SLAVE|CREATE (DATABASE|TABLE))/i;

/**
 * A relay to a server that holds back each replication admin and schema statement for DELAY_MS:
 * longer than the sandbox's 1000 ms query timeout, as RESET MASTER or START SLAVE can take after a
 * big load, and a CREATE TABLE on a busy disk.
 */
async function slowAdminRelay(port: number): Promise<number> {
  relay = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    links.push(client, upstream);
    let pending = Buffer.alloc(0);
    let forwarded = Promise.resolve();
    client.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      // MySQL packets: 3-byte little-endian length, sequence id, payload.
      while (pending.length >= 4 && pending.length >= 4 + pending.readUIntLE(0, 3)) {
        const packet = pending.subarray(0, 4 + pending.readUIntLE(0, 3));
        pending = pending.subarray(packet.length);
        const slow = packet[4] === COM_QUERY && ADMIN.test(packet.subarray(5, 64).toString('latin1'));
        forwarded = forwarded.then(async () => {
          if (slow) await new Promise((r) => setTimeout(r, DELAY_MS));
          upstream.write(packet);
        });
      }
    });
    upstream.pipe(client);
    client.on('error', () => upstream.destroy()).on('close', () => upstream.end());
    upstream.on('error', () => client.destroy()).on('close', () => client.end());
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
  return (relay.address() as { port: number }).port;
}

beforeAll(async () => {
  sb = await startSandbox();
});
afterAll(async () => {
  relay?.close();
  for (const s of links) s.destroy();
  await stopSandbox(sb);
});

describe('a rebuild on a replica slow at replication admin and DDL, the heartbeat event running', () => {
  it('waits for them with the long timeout instead of failing at "recreate schema" or "start replication"', async () => {
    const r1 = sb.servers.find((s) => s.name === 'sandbox-r1')!;
    const cluster = parse(readFileSync(sb.configFile, 'utf8')).clusters[0];
    const port = await slowAdminRelay(r1.port);
    const cfg = join(sb.dir, 'slow-admin.json');
    writeFileSync(
      cfg,
      JSON.stringify({ clusters: [{ ...cluster, replicas: cluster.replicas.map((r: { name: string }) => (r.name === 'sandbox-r1' ? { ...r, port } : r)) }] }),
    );

    const steps: string[] = [];
    const { executed } = await rebuildReplica({
      config: await loadConfig(cfg),
      request: { cluster: 'sandbox', replica: 'sandbox-r1', execute: true, force: true },
      secrets: new SecretResolver(),
      store: new MemoryStore(),
      execution: { onEvent: (e) => e.status === 'done' && steps.push(e.step) },
    });
    const result = executed?.strategy === 'logical' ? executed.result : undefined;
    expect(steps).toContain('start replication');
    expect(result?.checksums.every((c) => c.match)).toBe(true);
    await waitFor(
      'r1 healthy after the rebuild',
      async () => (await checkJson(sb.configFile)).report.findings.filter((f) => f.severity !== 'info').length === 0,
    );
    // Every CREATE DATABASE and TABLE waits DELAY_MS on top of the replication admin.
  }, 120_000);

  it("created the donor's running heartbeat event disabled on the replica, so it never wrote there", async () => {
    expect(await sql(sb, 'sandbox-r1', "SELECT STATUS AS s FROM information_schema.EVENTS WHERE EVENT_SCHEMA = 'percona'")).toEqual([
      { s: 'SLAVESIDE_DISABLED' },
    ]);
    expect(await sql(sb, 'sandbox-r1', 'SELECT server_id AS id FROM percona.heartbeat')).toEqual([{ id: 1 }]);
  });
});
