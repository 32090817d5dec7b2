import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxState } from '../../src/sandbox/sandbox';
import type { TableInfo } from '../../src/runbooks/inventory';
import { checksumSql } from '../../src/runbooks/verify';
import { cli } from '../support/cli';
import { sql, startSandbox, stopSandbox, waitFor } from '../support/sandbox';

let sb: SandboxState;
let state: string;

const table = (name: string, columns: string[], more: Partial<TableInfo> = {}): TableInfo => ({
  schema: 'app',
  name,
  engine: 'InnoDB',
  rows: 0,
  bytes: 0,
  hasPrimaryKey: false,
  columns,
  floats: [],
  ...more,
});
const checksum = async (server: string, t: TableInfo) => ((await sql(sb, server, checksumSql(t))) as Array<{ n: unknown; c: unknown }>)[0];
/** [id, FLOAT, DOUBLE] as SQL literals (double literals: the FLOAT column rounds them to the nearest float, as Math.fround). */
const FLOATS: Array<[number, string, string]> = [
  [1, '0.1e0', '0.1e0'],
  [2, '1e-38', '1e-38'],
  [3, '3.4028234e38', '3.4028234e38'],
  [4, '123456.789e0', '123456.789e0'],
  [5, '-1.17549435e-38', '0.30000000000000004e0'],
  // Doubles whose digits mysql2 itself would add up wrong (9.181966495323069, 41.96095550707744).
  [6, '16777217e0', '9.181966495323067e0'],
  [7, 'NULL', '41.960955507077436e0'],
  [8, '0e0', '-2.2250738585072014e-308'],
  [9, '1e0', '5e-324'],
  [10, '2e0', '1.7976931348623157e308'],
];
const inSync = async (replica: string) => {
  const [p] = (await sql(sb, 'sandbox-primary', 'SELECT @@gtid_binlog_pos AS p')) as Array<{ p: string }>;
  const [r] = (await sql(sb, replica, 'SELECT @@gtid_slave_pos AS p')) as Array<{ p: string }>;
  return p!.p === r!.p;
};

beforeAll(async () => {
  sb = await startSandbox();
  state = join(mkdtempSync(join(tmpdir(), 'rw-fidelity-')), 'state.json');
  await sql(
    sb,
    'sandbox-primary',
    `USE app;
     CREATE TABLE app.pairs (a INT, b VARCHAR(5));
     INSERT INTO app.pairs VALUES (1, 'a'), (1, 'a'), (3, 'c');`,
  );
  // Dates a lenient application wrote: invalid days, zero dates, zero parts.
  await sql(
    sb,
    'sandbox-primary',
    `SET SESSION sql_mode = 'ALLOW_INVALID_DATES';
     CREATE TABLE app.dates (id INT PRIMARY KEY, d DATE, dt DATETIME(3));
     INSERT INTO app.dates VALUES (1, '2020-02-31', '2020-02-31 12:34:56.789'), (2, '0000-00-00', '0000-00-00 00:00:00'), (3, '2020-00-00', '2021-04-31 00:00:00'), (4, NULL, NULL);`,
  );
  // JSON as applications write it: MariaDB keeps the text (a LONGTEXT with a json_valid CHECK),
  // its spacing, key order and digits included.
  await sql(
    sb,
    'sandbox-primary',
    `CREATE TABLE app.docs (id INT PRIMARY KEY, j JSON);
     INSERT INTO app.docs VALUES (1, '{"a": 1.00000000000000001, "b" : [1,  2]}'), (2, '"just a string"'), (3, '12345678901234567890123'),
       (4, '{"z": 1, "a": {"é": "🙂"}, "z": 2}'), (5, 'null'), (6, NULL), (7, '[]');`,
  );
  // Three triggers on one table and event whose order matters, an order their names do not have
  // (upper-casing, then brackets, then a suffix), one of them put in place with PRECEDES.
  await sql(
    sb,
    'sandbox-primary',
    `CREATE TABLE app.labels (id INT PRIMARY KEY, v VARCHAR(20));
     CREATE TRIGGER app.z_upper BEFORE INSERT ON app.labels FOR EACH ROW SET NEW.v = UPPER(NEW.v);
     CREATE TRIGGER app.a_suffix BEFORE INSERT ON app.labels FOR EACH ROW SET NEW.v = CONCAT(NEW.v, 'x');
     CREATE TRIGGER app.m_wrap BEFORE INSERT ON app.labels FOR EACH ROW PRECEDES a_suffix SET NEW.v = CONCAT('[', NEW.v, ']');
     CREATE TRIGGER app.b_after AFTER INSERT ON app.labels FOR EACH ROW SET @seen = NEW.v;`,
  );
  await sql(
    sb,
    'sandbox-primary',
    `CREATE TABLE app.floats (id INT PRIMARY KEY, f FLOAT, d DOUBLE); INSERT INTO app.floats VALUES ${FLOATS.map((r) => `(${r.join(', ')})`).join(', ')};`,
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

  it('tells a FLOAT from its neighbour, which displays alike', async () => {
    // 123456.789 is stored as the float 123456.7890625; the next float up is 123456.796875. Both
    // display as 123457: a copy that rounded one into the other would pass a CRC of that form.
    await sql(sb, 'sandbox-r2', 'SET sql_log_bin = 0; UPDATE app.floats SET f = 123456.796875e0 WHERE id = 4; SET sql_log_bin = 1');
    const shown = 'SELECT CONCAT(f) AS f FROM app.floats WHERE id = 4';
    expect(await sql(sb, 'sandbox-r2', shown)).toEqual([{ f: '123457' }]);
    expect(await sql(sb, 'sandbox-primary', shown)).toEqual([{ f: '123457' }]);
    const floats = table('floats', ['id', 'f', 'd'], { floats: ['f', 'd'] });
    expect((await checksum('sandbox-r2', floats))!.c).not.toEqual((await checksum('sandbox-primary', floats))!.c);
  });
});

describe('a rebuild', () => {
  it('copies every value exactly, as the donor holds it, and verifies it', async () => {
    const run = await cli(
      'runbook',
      'rebuild-replica',
      '--config',
      sb.configFile,
      '--cluster',
      'sandbox',
      '--state',
      state,
      '--replica',
      'sandbox-r1',
      '--execute',
      '--force',
      '--json',
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const { result } = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
    expect(result.checksums.filter((c: { match: boolean }) => !c.match)).toEqual([]);
    const same = async (statement: string) => expect(await sql(sb, 'sandbox-r1', statement)).toEqual(await sql(sb, 'sandbox-primary', statement));

    // FLOAT and DOUBLE bit for bit: equal, in SQL, to the very float or double each literal makes.
    const exact = FLOATS.map(([id, f, d]) => `(id = ${id} AND f <=> CAST(${f} AS FLOAT) AND d <=> ${d})`).join(' OR ');
    expect(await sql(sb, 'sandbox-r1', `SELECT COUNT(*) AS n FROM app.floats WHERE ${exact}`)).toEqual([{ n: FLOATS.length }]);
    // And as JavaScript reads those literals: a float is the double rounded to single precision.
    const text = (await sql(sb, 'sandbox-r1', 'SELECT CONCAT(CAST(f AS DOUBLE)) AS f, CONCAT(d) AS d FROM app.floats ORDER BY id')) as Array<{
      f: string | null;
      d: string;
    }>;
    const asNumber = (literal: string) => (literal === 'NULL' ? null : Number(literal));
    expect(text.map((r) => [r.f === null ? null : Number(r.f), Number(r.d)])).toEqual(
      FLOATS.map(([, f, d]) => [asNumber(f) === null ? null : Math.fround(asNumber(f)!), asNumber(d)]),
    );

    // Triggers in the donor's firing order, and firing so: 'a' becomes '[A]x', not '[AX]'.
    await same(
      "SELECT TRIGGER_NAME, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_TABLE = 'labels' ORDER BY 2, 3, 4",
    );
    const fired = await sql(
      sb,
      'sandbox-r1',
      "SET sql_log_bin = 0; START TRANSACTION; INSERT INTO app.labels VALUES (1, 'a'); SELECT v FROM app.labels; ROLLBACK; SET sql_log_bin = 1",
    );
    expect(fired[3]).toEqual([{ v: '[A]x' }]);

    // JSON documents as the donor's text, byte for byte.
    await same('SELECT id, HEX(j) AS j FROM app.docs ORDER BY id');
    expect(await sql(sb, 'sandbox-r1', 'SELECT CONCAT(j) AS j FROM app.docs WHERE id IN (1, 2) ORDER BY id')).toEqual([
      { j: '{"a": 1.00000000000000001, "b" : [1,  2]}' },
      { j: '"just a string"' },
    ]);

    // Invalid and zero dates as written, not zeroed by the copy's sql_mode.
    await same('SELECT id, CAST(d AS CHAR) AS d, CAST(dt AS CHAR) AS dt FROM app.dates ORDER BY id');
    expect(await sql(sb, 'sandbox-r1', 'SELECT CAST(d AS CHAR) AS d, CAST(dt AS CHAR) AS dt FROM app.dates WHERE id IN (1, 2) ORDER BY id')).toEqual([
      { d: '2020-02-31', dt: '2020-02-31 12:34:56.789' },
      { d: '0000-00-00', dt: '0000-00-00 00:00:00.000' },
    ]);
  });
});
