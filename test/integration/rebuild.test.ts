import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxState } from '../../src/sandbox/sandbox';
import { FileStore } from '../../src/state/file';
import { checkJson, cli } from '../support/cli';
import { sql, startSandbox, stopSandbox, waitFor } from '../support/sandbox';

let sb: SandboxState;
let state: string;

const primaryPos = async () => ((await sql(sb, 'sandbox-primary', 'SELECT @@gtid_binlog_pos AS p')) as Array<{ p: string }>)[0]!.p;
const rebuild = (...extra: string[]) => cli('runbook', 'rebuild-replica', '--config', sb.configFile, '--cluster', 'sandbox', '--state', state, ...extra);
const replicating = async (replica: string) => ((await sql(sb, replica, 'SHOW SLAVE STATUS')) as Array<Record<string, string>>)[0]?.Slave_SQL_Running === 'Yes';
const SYSTEM = "('mysql', 'information_schema', 'performance_schema', 'sys')";
/** The stored programs' and views' definitions and the session settings they keep, as a server lists them. */
const metadata = (server: string) =>
  sql(
    sb,
    server,
    `SELECT TRIGGER_SCHEMA, TRIGGER_NAME, SQL_MODE, ACTION_STATEMENT, CHARACTER_SET_CLIENT, COLLATION_CONNECTION, DATABASE_COLLATION FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA NOT IN ${SYSTEM} ORDER BY 1, 2;
     SELECT ROUTINE_SCHEMA, ROUTINE_NAME, SQL_MODE, ROUTINE_DEFINITION, CHARACTER_SET_CLIENT, COLLATION_CONNECTION, DATABASE_COLLATION FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA NOT IN ${SYSTEM} ORDER BY 1, 2;
     SELECT EVENT_SCHEMA, EVENT_NAME, SQL_MODE, TIME_ZONE, EVENT_DEFINITION, CHARACTER_SET_CLIENT, COLLATION_CONNECTION, DATABASE_COLLATION FROM information_schema.EVENTS WHERE EVENT_SCHEMA NOT IN ${SYSTEM} ORDER BY 1, 2;
     SELECT TABLE_SCHEMA, TABLE_NAME, VIEW_DEFINITION, CHARACTER_SET_CLIENT, COLLATION_CONNECTION FROM information_schema.VIEWS WHERE TABLE_SCHEMA NOT IN ${SYSTEM} ORDER BY 1, 2`,
  );

beforeAll(async () => {
  sb = await startSandbox();
  state = join(mkdtempSync(join(tmpdir(), 'rw-rebuild-')), 'state.json');
  // Awkward data on the primary: a reserved-word table name, no primary key, BLOB, utf8mb4,
  // a generated column, a view and a trigger.
  await sql(
    sb,
    'sandbox-primary',
    `SET NAMES utf8mb4; USE app;
     CREATE TABLE app.\`order\` (a INT, b BLOB, c VARCHAR(20) CHARACTER SET utf8mb4, g INT AS (a * 2) VIRTUAL);
     INSERT INTO app.\`order\` (a, b, c) VALUES (1, 0x00FF0D0A, 'héllo 🙂'), (NULL, NULL, NULL), (3, REPEAT('x', 60000), 'ßø');
     CREATE VIEW app.rich AS SELECT id, name FROM app.accounts WHERE balance > 15;
     CREATE TRIGGER app.audit BEFORE INSERT ON app.accounts FOR EACH ROW SET NEW.name = LOWER(NEW.name);
     CREATE TABLE app.bulk (id INT PRIMARY KEY, v VARCHAR(100));
     INSERT INTO app.bulk SELECT seq, CONCAT('row ', seq) FROM seq_1_to_5000;`,
  );
  // Programs and a view made under settings of their own, which a copy must keep: under
  // ANSI_QUOTES "v" is the column, under the copy's sql_mode the string 'v'.
  await sql(
    sb,
    'sandbox-primary',
    `USE app;
     SET SESSION sql_mode = 'ANSI_QUOTES,STRICT_ALL_TABLES,NO_ZERO_DATE';
     CREATE TRIGGER app.quoted BEFORE UPDATE ON app.bulk FOR EACH ROW SET NEW.v = CONCAT("v", '!');
     CREATE PROCEDURE app.total() SELECT SUM("balance") FROM app.accounts;
     CREATE EVENT app.tidy ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM app.bulk WHERE "v" IS NULL;
     SET SESSION sql_mode = DEFAULT;
     SET NAMES latin1;
     CREATE VIEW app.labels AS SELECT 'x' AS c;
     SET NAMES utf8mb4;
     CREATE DATABASE \`a.b\`;
     CREATE DATABASE a;
     CREATE TABLE \`a.b\`.c (id INT PRIMARY KEY, x VARCHAR(10));
     CREATE TABLE a.\`b.c\` (y INT, z INT);
     INSERT INTO \`a.b\`.c VALUES (1, 'one'), (2, 'two');
     INSERT INTO a.\`b.c\` VALUES (10, 20);`,
  );
  // A quiet primary, so "the rebuild never wrote to it" is a plain equality of GTID positions.
  await sql(sb, 'sandbox-primary', 'ALTER EVENT percona.replwatch_heartbeat DISABLE');
  await waitFor('replicas in sync', async () => (await checkJson(sb.configFile)).report.findings.every((f) => f.code === 'HeartbeatStale'));
});
afterAll(async () => {
  await stopSandbox(sb);
});

describe('replwatch runbook rebuild-replica', () => {
  it('refuses the primary, an unknown replica and a replica of another cluster, before touching anything', async () => {
    const primary = await rebuild('--replica', 'sandbox-primary');
    expect(primary.code).toBe(1);
    expect(primary.stderr).toContain('sandbox-primary is the primary of sandbox: a rebuild never writes to a primary');
    const unknown = await rebuild('--replica', 'sandbox-r9');
    expect(unknown.stderr).toContain('sandbox has no replica named sandbox-r9; replicas: sandbox-r1, sandbox-r2');
    const noCluster = await cli('runbook', 'rebuild-replica', '--config', sb.configFile, '--cluster', 'nope', '--replica', 'sandbox-r1');
    expect(noCluster.stderr).toContain('no cluster named nope');
  });

  it('plans without changing anything: says the replica is healthy, to take it out of the read pool first, and how to run it from anywhere', async () => {
    const before = await primaryPos();
    const r1Before = ((await sql(sb, 'sandbox-r1', 'SELECT @@gtid_slave_pos AS p')) as Array<{ p: string }>)[0]!.p;
    const plan = await rebuild('--replica', 'sandbox-r1');
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain('Plan: rebuild sandbox-r1 of cluster sandbox from sandbox-primary (reads only; nothing was changed)');
    expect(plan.stdout).toContain('  1. Take sandbox-r1 out of the read pool first (proxy, load balancer or application config)');
    expect(plan.stdout).toContain('warning: sandbox-r1 is healthy (replicating, no error): nothing calls for a rebuild');
    expect(plan.stdout).toMatch(/4 schema\(s\), 6 table\(s\), 2 view\(s\), 1 routine\(s\), 2 event\(s\)/);
    expect(plan.stdout).toContain(
      `To run it: replwatch runbook rebuild-replica --cluster sandbox --replica sandbox-r1 --config ${sb.configFile} --state ${state} --execute --force`,
    );
    process.env.RW_TEST_ADMIN_PASSWORD = sb.password;
    const carried = await rebuild(
      ...['--replica', 'sandbox-r1', '--donor', 'sandbox-r2', '--workers', '2', '--lease', '90s'],
      ...['--user', 'replwatch_admin', '--password', 'env:RW_TEST_ADMIN_PASSWORD'],
    );
    expect(carried.stdout).toContain(
      `To run it: replwatch runbook rebuild-replica --cluster sandbox --replica sandbox-r1 --config ${sb.configFile} --state ${state} --execute --force --donor sandbox-r2 --workers 2 --lease 90s --user replwatch_admin --password env:RW_TEST_ADMIN_PASSWORD`,
    );
    const literal = await rebuild('--replica', 'sandbox-r1', '--user', 'replwatch_admin', '--password', sb.password);
    expect(literal.stdout).not.toContain(sb.password);
    expect(literal.stdout).toContain(
      'warning: export REPLWATCH_REBUILD_PASSWORD=<the password of replwatch_admin> first: a literal --password is never printed',
    );
    expect(literal.stdout).toContain(
      `To run it: replwatch runbook rebuild-replica --cluster sandbox --replica sandbox-r1 --config ${sb.configFile} --state ${state} --execute --force --user replwatch_admin --password env:REPLWATCH_REBUILD_PASSWORD`,
    );
    const json = JSON.parse((await rebuild('--replica', 'sandbox-r1', '--json')).stdout);
    expect(json.plan.replicaHealth).toEqual({ healthy: true, findings: [] });
    expect(json.plan.binlogFormats).toEqual({ 'sandbox-primary': 'ROW' });
    expect(json.plan.inventory.tables.find((t: { name: string }) => t.name === 'order')).toMatchObject({ hasPrimaryKey: false, columns: ['a', 'b', 'c'] });
    // Names with dots are tables of their own, whatever a naive `schema.name` join would make of them.
    expect(json.plan.inventory.tables.filter((t: { schema: string }) => ['a', 'a.b'].includes(t.schema))).toMatchObject([
      { schema: 'a', name: 'b.c', hasPrimaryKey: false, columns: ['y', 'z'] },
      { schema: 'a.b', name: 'c', hasPrimaryKey: true, columns: ['id', 'x'] },
    ]);
    expect(await primaryPos()).toBe(before);
    expect(((await sql(sb, 'sandbox-r1', 'SELECT @@gtid_slave_pos AS p')) as Array<{ p: string }>)[0]!.p).toBe(r1Before);
    expect((await checkJson(sb.configFile)).report.findings.filter((f) => f.target === 'sandbox-r1')).toEqual([]);
  });

  it('rebuilds a replica broken three ways into an exact, replicating, read_only copy, never writing to the primary', async () => {
    await sql(
      sb,
      'sandbox-r1',
      "SET sql_log_bin=0; INSERT INTO app.accounts VALUES (7, 'r1 only', 0); DELETE FROM app.bulk WHERE id <= 100; DROP TABLE app.`order`; SET sql_log_bin=1",
    );
    await sql(sb, 'sandbox-primary', "INSERT INTO app.accounts VALUES (7, 'primary', 99)");
    await waitFor('r1 to break', async () =>
      (await checkJson(sb.configFile)).report.findings.some((f) => f.code === 'ReplicationBroken' && f.target === 'sandbox-r1'),
    );
    const before = await primaryPos();
    // A broken replica needs no --force, and its plan says why.
    const { replicaHealth } = JSON.parse((await rebuild('--replica', 'sandbox-r1', '--json')).stdout).plan;
    expect(replicaHealth).toMatchObject({ healthy: false, findings: [{ code: 'ReplicationBroken', severity: 'critical' }] });

    const run = await rebuild('--replica', 'sandbox-r1', '--execute', '--json');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.filter((e) => e.status === 'done').map((e) => e.step)).toEqual([
      'stop replication',
      'consistent snapshot',
      'recreate schema',
      'copy rows',
      'create triggers',
      'start replication',
      'catch up',
      'verify checksums',
    ]);
    const { result } = lines.at(-1);
    expect(result.checksums.map((c: { table: string; match: boolean }) => [c.table, c.match])).toEqual([
      ['`a`.`b.c`', true],
      ['`a.b`.`c`', true],
      ['`app`.`accounts`', true],
      ['`app`.`bulk`', true],
      ['`app`.`order`', true],
      ['`percona`.`heartbeat`', true],
    ]);
    expect(result.rowsCopied).toBe(5000 + 4 + 3 + 1 + 2 + 1);

    expect(await primaryPos()).toBe(before);
    const [r1] = (await sql(sb, 'sandbox-r1', 'SELECT @@read_only AS ro')) as Array<{ ro: number }>;
    expect(Number(r1!.ro)).toBe(1);
    const { report } = await checkJson(sb.configFile);
    expect(report.findings.filter((f) => f.target === 'sandbox-r1')).toEqual([]);
    expect(report.observations.find((o) => o.target === 'sandbox-r1')).toMatchObject({ ioRunning: true, sqlRunning: true });
    // The copy is exact down to bytes, and the view and trigger exist.
    const [row] = ((await sql(sb, 'sandbox-r1', 'SET NAMES utf8mb4; SELECT HEX(b) AS b, c, g FROM app.`order` WHERE a = 1')) as unknown[][])[1] as Array<{
      b: string;
      c: string;
      g: number;
    }>;
    expect(row).toMatchObject({ b: '00FF0D0A', c: 'héllo 🙂', g: 2 });
    expect(await sql(sb, 'sandbox-r1', 'SELECT COUNT(*) AS n FROM app.rich')).toEqual([{ n: 3 }]);
    // Triggers, routines, events and views as on the primary, down to the sql_mode and character
    // sets each was created under (events stay disabled on a replica: not compared).
    expect(await metadata('sandbox-r1')).toEqual(await metadata('sandbox-primary'));
    expect(((await metadata('sandbox-r1'))[0] as Array<{ TRIGGER_NAME: string; SQL_MODE: string }>).find((t) => t.TRIGGER_NAME === 'quoted')?.SQL_MODE).toBe(
      'ANSI_QUOTES,STRICT_ALL_TABLES,NO_ZERO_DATE',
    );
    // Replication keeps working through the rebuilt trigger and tables.
    await sql(sb, 'sandbox-primary', "INSERT INTO app.accounts VALUES (8, 'NEW', 1)");
    await waitFor(
      'the insert to replicate',
      async () => ((await sql(sb, 'sandbox-r1', 'SELECT name FROM app.accounts WHERE id = 8')) as Array<{ name: string }>)[0]?.name === 'new',
    );
  });

  it('clears errant transactions: the rebuilt replica starts a clean binary log', async () => {
    await sql(sb, 'sandbox-r2', "SET GLOBAL read_only = 0; INSERT INTO app.accounts VALUES (50, 'errant', 0); SET GLOBAL read_only = 1");
    expect((await checkJson(sb.configFile)).report.findings.map((f) => f.code)).toContain('ErrantTransactions');
    // A lock left by a run that died before its first checkpoint, in a shape no run writes: nothing
    // was copied, so --resume starts afresh (no TypeError, no refusal, no six-hour lock-out).
    const store = new FileStore(state);
    const past = new Date(Date.now() - 60_000);
    await store.acquireLock('rebuild/sandbox', 'crashed', past, new Date(past.getTime() - 1000));
    await store.updateLock('rebuild/sandbox', 'crashed', { replica: 'sandbox-r2' }, new Date(past.getTime() - 500));
    const run = await rebuild('--replica', 'sandbox-r2', '--execute', '--resume');
    expect(run.stderr).not.toContain('replwatch:');
    // Not a terminal: no progress line per batch of a short copy, and one line saying what it copied.
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^ok copy rows: 5,01\d rows, [\d.]+ MB in [\d.]+ s \([\d.]+ MB\/s\)$/m);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/rebuilt sandbox-r2 in [\d.]+ s: \d+ rows, GTID 0-1-\d+, 6 table checksums equal/);
    expect((await checkJson(sb.configFile)).report.findings.filter((f) => f.target === 'sandbox-r2')).toEqual([]);
    // The replica's pages were silenced while it was rebuilt (all but its own RebuildFailed); the silence ends seconds after.
    const [silence] = (await store.listSilences()).filter((s) => s.id === 'rebuild/sandbox/sandbox-r2');
    expect(silence).toMatchObject({ cluster: 'sandbox', target: 'sandbox-r2', exceptCodes: ['RebuildFailed'] });
    expect(Date.parse(silence!.to) - Date.now()).toBeLessThanOrEqual(10_000);
    expect(await store.readLock('rebuild/sandbox')).toBeUndefined();
  });

  it('takes one rebuild per cluster: a live lock refuses a second one, --resume included, saying who runs it', async () => {
    const store = new FileStore(state);
    const now = new Date();
    expect(await store.acquireLock('rebuild/sandbox', 'ann@bastion pid 7 #abc', new Date(now.getTime() + 60_000), now)).toBeTruthy();
    await store.updateLock('rebuild/sandbox', 'ann@bastion pid 7 #abc', { v: 2, replica: 'sandbox-r1', position: '', schemaDone: true, tablesDone: [] }, now);
    for (const extra of [['--force'], ['--resume']]) {
      const second = await rebuild('--replica', 'sandbox-r1', '--execute', ...extra);
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(
        /^replwatch: refused: a rebuild of sandbox-r1 in cluster sandbox is running \(ann@bastion pid 7 #abc, started .*, lease renewed \d+ s ago; if that run is dead, its lease lapses at .*\); one rebuild at a time per cluster\n$/,
      );
      expect(second.stderr).not.toContain('healthy');
    }
    expect((await store.readLock('rebuild/sandbox'))?.owner).toBe('ann@bastion pid 7 #abc');
    await store.releaseLock('rebuild/sandbox', 'ann@bastion pid 7 #abc');
  });

  it('refuses to rebuild a healthy replica without --force, in one line; at a terminal, unless its name is typed', async () => {
    const r1Before = ((await sql(sb, 'sandbox-r1', 'SELECT @@gtid_slave_pos AS p')) as Array<{ p: string }>)[0]!.p;
    const refused = await rebuild('--replica', 'sandbox-r1', '--execute');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `replwatch: refused: sandbox-r1 is healthy (replicating, no error): a rebuild would drop and recopy it for nothing. If it must be rebuilt anyway, take it out of the read pool, then: replwatch runbook rebuild-replica --cluster sandbox --replica sandbox-r1 --config ${sb.configFile} --state ${state} --execute --force\n`,
    );
    // At a terminal (script(1) gives it one), the wrong name is a refusal too.
    const bin = join(import.meta.dirname, '../../bin/replwatch.mjs');
    const tty = spawnSync(
      'script',
      [
        '-qec',
        `${process.execPath} ${bin} runbook rebuild-replica --config ${sb.configFile} --state ${state} --cluster sandbox --replica sandbox-r1 --execute`,
        '/dev/null',
      ],
      {
        input: 'sandbox-r2\n',
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    expect(tty.stdout).toContain('To rebuild sandbox-r1 anyway, type its name:');
    expect(tty.stdout).toContain('replwatch: refused: sandbox-r1 is healthy');
    expect(tty.status).toBe(1);
    expect(await replicating('sandbox-r1')).toBe(true);
    expect(((await sql(sb, 'sandbox-r1', 'SELECT @@gtid_slave_pos AS p')) as Array<{ p: string }>)[0]!.p).toBe(r1Before);
    expect(await new FileStore(state).readLock('rebuild/sandbox')).toBeUndefined();
  });

  it('checks every option before touching anything: one line and exit 3 for a usage error, the refusing server named', async () => {
    // Each with --execute --force on a healthy replica: nothing may be touched all the same.
    for (const [args, message] of [
      [['--workers', 'abc'], "error: option '--workers <n>' argument 'abc' is invalid. expected a whole number from 1 to 64."],
      [['--workers', '65'], "error: option '--workers <n>' argument '65' is invalid."],
      [['--strategy', 'binlog'], "error: option '--strategy <name>' argument 'binlog' is invalid. Allowed choices are auto, logical, physical, rds."],
      [['--lease', 'soon'], "error: option '--lease <duration>' argument 'soon' is invalid."],
      [['--password', 'secret'], 'replwatch: --password needs --user'],
    ] as const) {
      const r = await rebuild('--replica', 'sandbox-r1', '--execute', '--force', ...args);
      expect(r.code).toBe(3);
      expect(r.stderr.startsWith(message)).toBe(true);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    const resume = await rebuild('--replica', 'sandbox-r1', '--resume');
    expect([resume.code, resume.stderr.trim()]).toEqual([3, 'replwatch: --resume continues a rebuild: it needs --execute']);
    expect(await replicating('sandbox-r1')).toBe(true);
    expect(await new FileStore(state).readLock('rebuild/sandbox')).toBeUndefined();
    // An account the servers refuse: which server, where, as whom, and the server's words.
    const denied = await rebuild('--replica', 'sandbox-r1', '--user', 'nobody', '--password', 'wrong');
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(
      /^replwatch: refused: sandbox-(primary|r1) \(127\.0\.0\.1:\d+\) refused the account nobody: 1045 Access denied for user 'nobody'@'[\d.]+' \(using password: YES\)\n$/,
    );
    // One that may read everything but not stop replication (1227): refused at its first write,
    // the replica left replicating, nothing parked or paged.
    for (const server of ['sandbox-primary', 'sandbox-r1', 'sandbox-r2']) {
      await sql(
        sb,
        server,
        "SET sql_log_bin = 0; CREATE USER reader IDENTIFIED BY 'pw'; GRANT SELECT, SHOW VIEW, TRIGGER, EVENT, BINLOG MONITOR ON *.* TO reader; SET sql_log_bin = 1",
      );
    }
    const reader = await rebuild('--replica', 'sandbox-r1', '--execute', '--force', '--user', 'reader', '--password', 'pw');
    expect(reader.code).toBe(1);
    expect(reader.stderr).toMatch(
      /^replwatch: refused: sandbox-r1 \(127\.0\.0\.1:\d+\) as reader: 1227 Access denied; .*: the account cannot stop replication there; nothing was changed\n$/,
    );
    expect(await replicating('sandbox-r1')).toBe(true);
    expect(await new FileStore(state).readLock('rebuild/sandbox')).toBeUndefined();
    expect(await new FileStore(state).loadAlerts()).toEqual(new Map());
  });
});

describe('the rebuildReplica Lambda', () => {
  const context = (ms: number) =>
    ({ getRemainingTimeInMillis: () => ms, functionName: 'rebuildReplica', awsRequestId: 'r' }) as unknown as import('aws-lambda').Context;

  it('validates its input and wants confirm to repeat the replica name before executing', async () => {
    process.env.REPLWATCH_CONFIG = sb.configFile;
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    const { handler } = await import('../../functions/rebuildReplica');
    expect(await handler({ cluster: 'sandbox' }, context(900_000))).toMatchObject({ ok: false, error: expect.stringContaining('replica') });
    expect(await handler({ cluster: 'sandbox', replica: 'sandbox-r1', mode: 'execute', confirm: 'sandbox-r2' }, context(900_000))).toEqual({
      ok: false,
      error: 'confirm: execute needs confirm equal to the replica name',
    });
    expect(await handler({ cluster: 'sandbox', replica: 'sandbox-primary', mode: 'plan' }, context(900_000))).toMatchObject({
      ok: false,
      error: expect.stringContaining('refused: sandbox-primary is the primary'),
    });
  });

  it('plans, refuses a healthy replica without force and a copy too long for its time left, and executes when confirmed', async () => {
    const { handler } = await import('../../functions/rebuildReplica');
    const planned = await handler({ cluster: 'sandbox', replica: 'sandbox-r1' }, context(900_000));
    expect(planned).toMatchObject({ ok: true, plan: { replica: 'sandbox-r1', donor: 'sandbox-primary', replicaHealth: { healthy: true } } });
    // The Lambda prints commands without flags: on-call runs them with their own config.
    expect((planned as { plan: { command: string } }).plan.command).toBe(
      'replwatch runbook rebuild-replica --cluster sandbox --replica sandbox-r1 --execute --force',
    );
    const healthy = await handler({ cluster: 'sandbox', replica: 'sandbox-r1', mode: 'execute', confirm: 'sandbox-r1' }, context(900_000));
    expect(healthy).toMatchObject({ ok: false, error: expect.stringContaining('refused: sandbox-r1 is healthy (replicating, no error)') });
    const short = await handler({ cluster: 'sandbox', replica: 'sandbox-r1', mode: 'execute', confirm: 'sandbox-r1', force: true }, context(30_000));
    expect(short).toMatchObject({
      ok: false,
      error: expect.stringContaining('the largest table alone would take longer than one invocation; run it with the CLI'),
    });
    const done = await handler({ cluster: 'sandbox', replica: 'sandbox-r1', mode: 'execute', confirm: 'sandbox-r1', force: true }, context(900_000));
    expect(done).toMatchObject({ ok: true, result: { rowsCopied: expect.any(Number) } });
    expect((await checkJson(sb.configFile)).report.findings.filter((f) => f.target === 'sandbox-r1')).toEqual([]);
  });
});

describe('the rebuildReplica Lambda near the end of its time', () => {
  it('stops at a table boundary, invokes itself with resume, and the next invocation finishes', async () => {
    const { InvokeCommand, LambdaClient } = await import('@aws-sdk/client-lambda');
    const { mockClient } = await import('aws-sdk-client-mock');
    const lambda = mockClient(LambdaClient);
    lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
    // The lock and checkpoint live in DynamoDB between the two invocations.
    const { fakeDynamoTable } = await import('../support/fakeDynamo');
    const table = fakeDynamoTable();
    process.env.STATE_TABLE = 'replwatch-state-test';
    try {
      const { handler } = await import('../../functions/rebuildReplica');
      // Plenty of time for the plan and the first table, then the invocation is nearly over.
      let calls = 0;
      const ending = {
        getRemainingTimeInMillis: () => (++calls <= 2 ? 900_000 : 10_000),
        functionName: 'replwatch-rebuildReplica',
        awsRequestId: 'a',
      } as unknown as import('aws-lambda').Context;
      const event = { cluster: 'sandbox', replica: 'sandbox-r2', mode: 'execute', confirm: 'sandbox-r2', force: true };
      const first = await handler(event, ending);
      // Handed over on purpose: the next invocation takes it up under an owner of its own.
      const handed = table.items.get('lock#rebuild/sandbox');
      expect(handed).toMatchObject({ kind: 'lock', handover: true, checkpoint: { replica: 'sandbox-r2' } });
      expect(first).toMatchObject({ ok: true, paused: true, checkpoint: { replica: 'sandbox-r2', schemaDone: true } });
      const invoke = lambda.commandCalls(InvokeCommand)[0]!.args[0].input;
      expect(invoke).toMatchObject({ FunctionName: 'replwatch-rebuildReplica', InvocationType: 'Event' });
      const next = JSON.parse(Buffer.from(invoke.Payload as Uint8Array).toString());
      expect(next).toEqual({ ...event, strategy: 'logical', resume: true });

      const fresh = {
        getRemainingTimeInMillis: () => 900_000,
        functionName: 'replwatch-rebuildReplica',
        awsRequestId: 'b',
      } as unknown as import('aws-lambda').Context;
      // A handed-over lock is its successor's: a fresh start meanwhile is refused.
      const meanwhile = await handler({ ...event }, fresh);
      expect(meanwhile).toMatchObject({
        ok: false,
        error: expect.stringMatching(/refused: a rebuild of sandbox-r2 in cluster sandbox is running: handed by .* to its next invocation/),
      });
      const done = await handler(next, fresh);
      if (!(done as { ok: boolean }).ok) throw new Error(JSON.stringify(done));
      expect(done).toMatchObject({ ok: true, result: { checksums: expect.any(Array) } });
      expect((done as { result: { checksums: Array<{ match: boolean }> } }).result.checksums.every((c) => c.match)).toBe(true);
      expect((await checkJson(sb.configFile)).report.findings.filter((f) => f.target === 'sandbox-r2')).toEqual([]);
      expect(table.items.has('lock#rebuild/sandbox')).toBe(false);
    } finally {
      lambda.restore();
      table.mock.restore();
      delete process.env.STATE_TABLE;
    }
  });
});
