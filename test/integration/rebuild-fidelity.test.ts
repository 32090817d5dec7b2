import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxState } from '../../src/sandbox/sandbox';
import type { TableInfo } from '../../src/runbooks/inventory';
import { checksumSql } from '../../src/runbooks/verify';
import { sql, startSandbox, stopSandbox, waitFor } from '../support/sandbox';

let sb: SandboxState;

const table = (name: string, columns: string[], more: Partial<TableInfo> = {}): TableInfo => ({ schema: 'app', name, engine: 'InnoDB', rows: 0, bytes: 0, hasPrimaryKey: false, columns, ...more });
const checksum = async (server: string, t: TableInfo) => ((await sql(sb, server, checksumSql(t))) as Array<{ n: unknown; c: unknown }>)[0];
const inSync = async (replica: string) => {
  const [p] = (await sql(sb, 'sandbox-primary', 'SELECT @@gtid_binlog_pos AS p')) as Array<{ p: string }>;
  const [r] = (await sql(sb, replica, 'SELECT @@gtid_slave_pos AS p')) as Array<{ p: string }>;
  return p!.p === r!.p;
};

beforeAll(async () => {
  sb = await startSandbox();
  await sql(
    sb,
    'sandbox-primary',
    `USE app;
     CREATE TABLE app.pairs (a INT, b VARCHAR(5));
     INSERT INTO app.pairs VALUES (1, 'a'), (1, 'a'), (3, 'c');`,
  );
  await waitFor('r2 to replicate the tables', () => inSync('sandbox-r2'));
});
afterAll(async () => {
  await stopSandbox(sb);
});

describe('verify checksums', () => {
  it('tells a duplicate pair from another duplicate pair (rows that a BIT_XOR cancels)', async () => {
    // On r2 only: (1,'a'),(1,'a'),(3,'c') becomes (2,'b'),(2,'b'),(3,'c'): as many rows, and the
    // same BIT_XOR of row CRCs (each pair XORs to 0), but not the same rows.
    await sql(sb, 'sandbox-r2', "SET sql_log_bin = 0; UPDATE app.pairs SET a = 2, b = 'b' WHERE a = 1; SET sql_log_bin = 1");
    const xor = "SELECT COUNT(*) AS n, BIT_XOR(CRC32(CONCAT_WS('#', a, b))) AS c FROM app.pairs";
    expect(await sql(sb, 'sandbox-r2', xor)).toEqual(await sql(sb, 'sandbox-primary', xor));
    const pairs = table('pairs', ['a', 'b']);
    const [primary, replica] = [await checksum('sandbox-primary', pairs), await checksum('sandbox-r2', pairs)];
    expect(replica!.n).toEqual(primary!.n);
    expect(replica!.c).not.toEqual(primary!.c);
  });
});
