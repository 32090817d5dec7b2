import type { ServerConfig } from '../config/schema';
import type { SecretResolver } from '../config/secrets';
import { query, type Connection, type MysqlConnections } from '../mysql/connections';
import { withDeadline } from '../util/deadline';
import { adminConnection, isAccessError, serverLabel, serverMessage, type AdminAccount } from './accounts';
import { freshCheckpoint, tableKey, type RebuildCheckpoint } from './checkpoint';
import { ident, qualified } from '../mysql/identifiers';
import type { TableInfo } from './inventory';
import type { RebuildPlan } from './plan';
import type { RebuildTarget } from './target';
import { Throughput } from './throughput';
import { checksumTables, type ChecksumResult } from './verify';
import { waitUntilApplied } from './replication';
import { exactText, selectList } from './values';
import { RunbookRefusal, LeaseLost, RebuildPaused, RebuildFailed } from './errors';

export type { RebuildCheckpoint } from './checkpoint';

export interface RebuildEvent {
  step: string;
  /** The rds strategy's steps may also be skipped (done by an earlier run), planned, or waited on. */
  status: 'start' | 'done' | 'progress' | 'skipped' | 'planned' | 'waiting';
  detail?: string;
  table?: string;
  rows?: number;
  totalRows?: number;
  /** Rows copied so far over all tables, of about `allRows` (InnoDB's estimates). */
  doneRows?: number;
  allRows?: number;
  /** The same in bytes (rows times the table's bytes per row in the inventory). */
  doneBytes?: number;
  allBytes?: number;
  /** Measured pace, and the seconds left at it: absent until there is a second of copying to measure. */
  bytesPerSecond?: number;
  etaSeconds?: number;
  at: string;
}

export interface ExecuteOptions {
  /** Continue from this checkpoint instead of starting afresh. */
  resume?: RebuildCheckpoint;
  /** Called at each step and after each table, to be stored for a resume. */
  checkpoint?: (c: RebuildCheckpoint) => Promise<void>;
  /** Throws LeaseLost once this run no longer holds the cluster's lock: asked before every statement to the replica. */
  fence?: () => void;
  /**
   * A person's interruption (Ctrl-C): the rebuild fails at its next statement to the replica,
   * which it leaves stopped, read_only and resumable, the reason being the signal's.
   */
  signal?: AbortSignal;
  /** Asked before each table: true stops the copy at a table boundary (a Lambda near its end). */
  shouldPause?: () => boolean;
  workers?: number;
  batchRows?: number;
  onEvent?: (e: RebuildEvent) => void;
  /** Deadline for catching up with the primary after the copy. */
  catchUpTimeoutSeconds?: number;
}

export interface RebuildResult {
  gtidPosition: string;
  rowsCopied: number;
  seconds: number;
  checksums: ChecksumResult[];
}

/**
 * For statements whose time grows with the data rather than the round trip: the copy's inserts,
 * and DDL and replication admin on the replica (every CREATE and DROP, STOP/START SLAVE, RESET
 * MASTER, CHANGE MASTER), which wait for metadata locks, file creation and removal, the threads,
 * the binary log and the freshly loaded tables to settle. The cluster's timeoutMs is a probe's.
 */
/** Tables copied at once unless --workers says otherwise. */
export const DEFAULT_WORKERS = 4;
const LONG = 600_000;
const IDLE_READ_MS = 120_000;
/**
 * The session both ends of the copy share (see openSnapshot). Its sql_mode takes every value the
 * donor holds back as it is: ALLOW_INVALID_DATES keeps a '2020-02-31' written under that mode
 * (without it the replica stores '0000-00-00', with a warning only), and with no STRICT_*,
 * NO_ZERO_DATE or NO_ZERO_IN_DATE, zero dates and '2020-00-00' go in as they came out.
 */
const COPY_SESSION = "sql_mode = 'NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION,ALLOW_INVALID_DATES', time_zone = '+00:00'";

/**
 * `conn` with each statement's error naming the server and account (a refused privilege says
 * where), and, with `fence`, each statement asked for first: none reaches the replica once this
 * run lost its lease.
 */
function named(conn: Connection, label: string, fence?: () => void): Connection {
  return new Proxy(conn, {
    get(c, prop) {
      if (prop === 'query') {
        return (...args: Parameters<Connection['query']>) => {
          fence?.();
          return (c.query as (...a: unknown[]) => Promise<unknown>)(...args).catch((e: Error) => {
            e.message = `${label}: ${serverMessage(e)}`;
            throw e;
          });
        };
      }
      const value = Reflect.get(c, prop, c) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(c) : value;
    },
  });
}

/** Whole bytes per second and seconds, as a person reads them. */
function roundPace(m: { bytesPerSecond?: number; etaSeconds?: number }): { bytesPerSecond?: number; etaSeconds?: number } {
  return m.bytesPerSecond === undefined ? {} : { bytesPerSecond: Math.round(m.bytesPerSecond), etaSeconds: m.etaSeconds };
}

export interface ExecuteRebuildOptions extends ExecuteOptions {
  plan: RebuildPlan;
  target: RebuildTarget;
  connections: MysqlConnections;
  secrets: SecretResolver;
  admin: AdminAccount;
}

/**
 * The logical strategy on MariaDB, over mysql2 (runs anywhere, Lambda included): consistent
 * snapshots on the donor without locks, the schema and rows streamed into the replica with its
 * binary log off, then GTID replication from the primary and a checksum verification. It writes
 * only to the replica; the donor and the primary are only read.
 */
export async function executeRebuild(o: ExecuteRebuildOptions): Promise<RebuildResult> {
  const run = await LogicalRebuild.connect(o);
  try {
    await run.refuseUnsafeTarget();
    await run.stopReplication();
    const snapshot = await run.openSnapshot();
    await run.recreateSchema();
    const rowsCopied = await run.copyRows();
    await run.step('create triggers', () => createTriggers(o.plan, run.donors[0]!, run.target, run.timeoutMs));
    await run.startReplication(snapshot);
    await run.step('catch up', () => catchUp(run.primary, run.target, o.catchUpTimeoutSeconds ?? 300, run.timeoutMs));
    return await run.verify(rowsCopied);
  } catch (e) {
    throw await run.failed(e as Error);
  }
}

/** One logical rebuild under way: its connections, its checkpoint, and each of its steps. */
class LogicalRebuild {
  private readonly started = Date.now();
  private current = 'connect';
  private readonly cp: RebuildCheckpoint;
  /** The checkpoint resumed from, when it can be (same replica, schema done, replay safe). */
  private readonly resume: RebuildCheckpoint | undefined;
  readonly timeoutMs: number;

  private constructor(
    private readonly o: ExecuteRebuildOptions,
    readonly target: Connection,
    readonly primary: Connection,
    readonly donors: Connection[],
    private readonly loaders: Connection[],
    private readonly cleanup: { running: boolean },
  ) {
    this.timeoutMs = o.target.cluster.timeoutMs;
    // A resume copies the remaining tables at a newer snapshot; the done ones are at the old
    // position, and replaying from there in idempotent mode brings both to the same state. The plan
    // says when that does not hold (a table without a primary key, statement-based binlogs).
    const r = o.resume;
    this.resume = r?.replica === o.target.replica.name && r.schemaDone && o.plan.resume.replaySafe ? r : undefined;
    if (r && !this.resume)
      this.emit({ step: 'resume', status: 'done', detail: `starting over: ${r.schemaDone ? o.plan.resume.why : 'the schema was not recreated yet'}` });
    this.cp = this.resume ? { ...this.resume, tablesDone: [...this.resume.tablesDone] } : freshCheckpoint(o.target.replica.name);
  }

  /**
   * Every connection is opened before anything is changed: a server refusing the account is a
   * refusal, not a half-done rebuild. Statements to the replica are fenced by the lease.
   */
  static async connect(o: ExecuteRebuildOptions): Promise<LogicalRebuild> {
    const t = o.target;
    const workers = Math.max(1, Math.min(o.workers ?? DEFAULT_WORKERS, o.plan.inventory.tables.length || 1));
    const conn = async (s: ServerConfig, key: string, fence?: () => void) =>
      named(await adminConnection(o.connections, t.cluster, s, o.admin, o.secrets, key), serverLabel(s, o.admin), fence);
    // The cleanup's own statements (stop, read_only) still go once interrupted.
    const cleanup = { running: false };
    const fence = () => {
      o.fence?.();
      if (o.signal?.aborted && !cleanup.running) throw new Error(String(o.signal.reason));
    };
    const target = await conn(t.replica, 'rebuild-target', fence);
    const primary = await conn(t.primary, 'rebuild-primary');
    const donors: Connection[] = [];
    for (let i = 0; i < workers; i++) donors.push(await conn(t.donor, `rebuild-donor-${i}`));
    const loaders: Connection[] = [target];
    for (let i = 1; i < workers; i++) loaders.push(await conn(t.replica, `rebuild-target-${i}`, fence));
    return new LogicalRebuild(o, target, primary, donors, loaders, cleanup);
  }

  private emit(e: Omit<RebuildEvent, 'at'>): void {
    this.o.onEvent?.({ ...e, at: new Date().toISOString() });
  }

  private save(): Promise<void> {
    return this.o.checkpoint?.(this.cp) ?? Promise.resolve();
  }

  /** A named step: checkpointed as where the rebuild is, announced, and named in its failure. */
  async step<T>(name: string, fn: () => Promise<T>): Promise<T> {
    this.current = name;
    this.cp.step = name;
    await this.save();
    this.emit({ step: name, status: 'start' });
    const out = await fn();
    this.emit({ step: name, status: 'done' });
    return out;
  }

  async refuseUnsafeTarget(): Promise<void> {
    const [tid] = await query<{ id: string; v: string }>(this.target, 'SELECT @@server_id AS id, VERSION() AS v', this.timeoutMs);
    const [pid] = await query<{ id: string }>(this.primary, 'SELECT @@server_id AS id', this.timeoutMs);
    if (tid?.id === pid?.id) throw new RunbookRefusal(`${this.o.target.replica.name} has the primary's server_id: refusing to write to it`);
    if (!/mariadb/i.test(String(tid?.v))) throw new RunbookRefusal('the logical strategy executes on MariaDB only; use --strategy rds for RDS');
  }

  stopReplication(): Promise<void> {
    return this.step('stop replication', async () => {
      // An account that may read everything but not administer the replica is refused at its
      // first write, with nothing changed: not a failed rebuild that parks a healthy replica.
      await query(this.target, 'STOP ALL SLAVES', LONG).catch((e: Error) => {
        throw isAccessError(e) ? new RunbookRefusal(`${e.message}: the account cannot stop replication there; nothing was changed`) : e;
      });
      await query(this.target, 'SET GLOBAL read_only = 1', LONG);
    });
  }

  /** Both ends read and write in one mode and time zone: DDL as SHOW CREATE prints it parses back, and TIMESTAMP values travel as the same instants. */
  async openSnapshot(): Promise<string> {
    for (const d of this.donors) await query(d, `SET SESSION ${COPY_SESSION}`, this.timeoutMs);
    const snapshot = await this.step('consistent snapshot', () => openSnapshots(this.donors, LONG));
    if (!this.resume) this.cp.position = snapshot;
    await this.save();
    for (const l of this.loaders) await query(l, `SET SESSION sql_log_bin = 0, foreign_key_checks = 0, unique_checks = 0, ${COPY_SESSION}`, this.timeoutMs);
    return snapshot;
  }

  private remaining(): TableInfo[] {
    const done = new Set(this.cp.tablesDone);
    return this.o.plan.inventory.tables.filter((x) => !done.has(tableKey(x)));
  }

  async recreateSchema(): Promise<void> {
    if (this.resume) {
      await this.step('recreate unfinished tables', () => recreateTables(this.remaining(), this.donors[0]!, this.target, this.timeoutMs));
      return;
    }
    await this.step('recreate schema', () => recreateSchema(this.o.plan, this.donors[0]!, this.target, this.timeoutMs));
    this.cp.schemaDone = true;
    await this.save();
  }

  /** The remaining tables, largest first, one per donor connection at a time; each done one checkpointed. Returns the rows copied. */
  async copyRows(): Promise<number> {
    const remaining = this.remaining();
    let doneRows = 0;
    let doneBytes = 0;
    const allRows = remaining.reduce((a, x) => a + x.rows, 0);
    const allBytes = remaining.reduce((a, x) => a + x.bytes, 0);
    const pace = new Throughput();
    const progress = (table: TableInfo, rows: number, delta: number) => {
      doneRows += delta;
      doneBytes += delta * (table.bytes / Math.max(1, table.rows));
      const measured = pace.measure({ rows: doneRows, bytes: doneBytes }, allRows);
      this.emit({
        step: 'copy rows',
        status: 'progress',
        table: tableKey(table),
        rows,
        totalRows: table.rows,
        doneRows,
        allRows,
        doneBytes: Math.round(doneBytes),
        allBytes,
        ...roundPace(measured),
      });
    };
    await this.step('copy rows', async () => {
      const queue = [...remaining].sort((a, b) => b.bytes - a.bytes);
      await Promise.all(
        this.donors.map(async (donor, i) => {
          for (let table = queue.shift(); table && !this.o.shouldPause?.(); table = queue.shift()) {
            let last = 0;
            await copyTable(donor, this.loaders[i]!, table, this.o.batchRows ?? 1000, (rows) => {
              progress(table, rows, rows - last);
              last = rows;
            });
            this.cp.tablesDone.push(tableKey(table));
            await this.save();
          }
        }),
      );
      for (const d of this.donors) await query(d, 'COMMIT', this.timeoutMs);
    });
    if (this.cp.tablesDone.length < this.o.plan.inventory.tables.length) throw new RebuildPaused(this.cp);
    return doneRows;
  }

  startReplication(snapshot: string): Promise<void> {
    const { target, cp } = this;
    return this.step('start replication', async () => {
      const creds = this.o.target.cluster.replication;
      const pw = creds ? await this.o.secrets.resolve(creds.password) : undefined;
      // The replica's own binary log may hold errant GTIDs: it starts clean, as a fresh replica.
      await query(target, 'RESET MASTER', LONG);
      await query(target, 'SET GLOBAL gtid_slave_pos = ?', LONG, [cp.position]);
      const source = this.o.target.primary;
      await query(
        target,
        `CHANGE MASTER TO MASTER_HOST = ?, MASTER_PORT = ?, MASTER_USE_GTID = slave_pos${creds ? ', MASTER_USER = ?, MASTER_PASSWORD = ?' : ''}`,
        LONG,
        [source.host, source.port, ...(creds ? [creds.user, pw] : [])],
      );
      if (cp.position === snapshot) {
        await query(target, 'START SLAVE', LONG);
        return;
      }
      // Resumed: replay from the older position, tolerating rows that are already there or gone,
      // up to the newer snapshot; strict again from then on.
      await query(target, "SET GLOBAL slave_exec_mode = 'IDEMPOTENT'", LONG);
      try {
        await query(target, 'START SLAVE UNTIL master_gtid_pos = ?', LONG, [snapshot]);
        await waitUntilApplied(target, snapshot, this.o.catchUpTimeoutSeconds ?? 300, this.timeoutMs, false);
        await query(target, 'STOP SLAVE', LONG);
      } finally {
        await query(target, "SET GLOBAL slave_exec_mode = 'STRICT'", LONG);
      }
      await query(target, 'START SLAVE', LONG);
    });
  }

  /** It stops and restarts replication on the replica around the comparison: admin, not a round trip. */
  async verify(rowsCopied: number): Promise<RebuildResult> {
    const checksums = await this.step('verify checksums', () => checksumTables(this.o.plan.inventory.tables, this.primary, this.target, LONG));
    const bad = checksums.filter((c) => !c.match);
    if (bad.length > 0) throw new Error(`checksums differ for ${bad.map((b) => b.table).join(', ')}`);
    return { gtidPosition: this.cp.position, rowsCopied, seconds: (Date.now() - this.started) / 1000, checksums };
  }

  /** What an error becomes, the replica left stopped and read_only unless another run owns it now. */
  async failed(e: Error): Promise<Error> {
    // A run that lost its lease stops here: the replica is whoever took the lock over's now, and
    // so is its cleanup (this run's would stop the replica under the other's feet).
    if (e instanceof LeaseLost) return e;
    this.o.fence?.();
    if (e instanceof RunbookRefusal || e instanceof RebuildPaused) return e;
    this.cleanup.running = true;
    await query(this.target, 'STOP ALL SLAVES', this.timeoutMs).catch(() => undefined);
    await query(this.target, 'SET GLOBAL read_only = 1', this.timeoutMs).catch(() => undefined);
    return new RebuildFailed(this.current, e);
  }
}

/**
 * A consistent snapshot per worker, all at the same binlog position (MariaDB's consistent
 * snapshot reports it), so the workers read one state without FLUSH TABLES WITH READ LOCK.
 * Returns the GTID position of that state.
 */
async function openSnapshots(donors: Connection[], timeoutMs: number): Promise<string> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const positions = await Promise.all(
      donors.map(async (d) => {
        await query(d, 'ROLLBACK', timeoutMs);
        await query(d, 'SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ', timeoutMs);
        await query(d, 'START TRANSACTION WITH CONSISTENT SNAPSHOT', timeoutMs);
        const rows = await query<{ Variable_name: string; Value: string }>(d, "SHOW STATUS LIKE 'binlog_snapshot_%'", timeoutMs);
        const get = (n: string) => rows.find((r) => r.Variable_name === n)?.Value ?? '';
        return { file: get('Binlog_snapshot_file'), pos: get('Binlog_snapshot_position') };
      }),
    );
    if (!positions[0]!.file) throw new RunbookRefusal('the donor has no binary log: it cannot tell the GTID position of a snapshot');
    if (positions.every((p) => p.file === positions[0]!.file && p.pos === positions[0]!.pos)) {
      const [row] = await query<{ g: string }>(donors[0]!, 'SELECT BINLOG_GTID_POS(?, ?) AS g', timeoutMs, [positions[0]!.file, Number(positions[0]!.pos)]);
      return String(row?.g ?? '');
    }
  }
  throw new Error('the donor is too busy to open snapshots at one position; run with --workers 1');
}

async function recreateSchema(plan: RebuildPlan, donor: Connection, target: Connection, timeoutMs: number): Promise<void> {
  const existing = await query<{ s: string }>(
    target,
    `SELECT SCHEMA_NAME AS s FROM information_schema.SCHEMATA WHERE SCHEMA_NAME NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')`,
    timeoutMs,
  );
  for (const { s } of existing) await query(target, `DROP DATABASE ${ident(s)}`, LONG);
  for (const schema of plan.inventory.schemas) {
    const [db] = await query<Record<string, string>>(donor, `SHOW CREATE DATABASE ${ident(schema)}`, timeoutMs);
    await query(target, db!['Create Database']!, LONG);
  }
  await recreateTables(plan.inventory.tables, donor, target, timeoutMs);
  for (const r of plan.inventory.routines) {
    const [row] = await query<Record<string, string>>(donor, `SHOW CREATE ${r.type} ${qualified(r.schema, r.name)}`, timeoutMs);
    await createAsOnDonor(target, r.schema, row!, row![r.type === 'PROCEDURE' ? 'Create Procedure' : 'Create Function']!, timeoutMs);
  }
  for (const ev of plan.inventory.events) {
    const [row] = await query<Record<string, string>>(donor, `SHOW CREATE EVENT ${qualified(ev.schema, ev.name)}`, timeoutMs);
    await createAsOnDonor(target, ev.schema, row!, disabledOnReplica(row!['Create Event']!), timeoutMs);
  }
  // Views may read other views: create in passes until every one exists.
  let pending = [...plan.inventory.views];
  while (pending.length > 0) {
    const failed: typeof pending = [];
    let lastError: Error | undefined;
    for (const v of pending) {
      const [row] = await query<Record<string, string>>(donor, `SHOW CREATE VIEW ${qualified(v.schema, v.name)}`, timeoutMs);
      await createAsOnDonor(target, v.schema, row!, row!['Create View']!, timeoutMs).catch((e: Error) => {
        failed.push(v);
        lastError = e;
      });
    }
    if (failed.length === pending.length) throw lastError!;
    pending = failed;
  }
}

/** The session variables a stored program or view keeps from the session that created it, as SHOW CREATE names them. */
const CREATION_SETTINGS = ['sql_mode', 'time_zone', 'character_set_client', 'collation_connection'] as const;
const UTF8 = /^utf8/;

/**
 * Creates a trigger, routine, event or view in `schema` under the settings it was created with
 * on the donor (SHOW CREATE's sql_mode, time_zone, character_set_client, collation_connection and
 * Database Collation), as mysqldump does, then restores the session's own: the same statement
 * under the copy's sql_mode would be another program (ANSI_QUOTES turns "x" from a column into a
 * string) and records other metadata. A statement that is not plain ASCII goes as the UTF-8 this
 * client sends: its bytes would be misread under a client character set of another encoding.
 */
async function createAsOnDonor(target: Connection, schema: string, shown: Record<string, string>, statement: string, timeoutMs: number): Promise<void> {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the whole ASCII range is the point: a statement with nothing else reads the same in any client charset
  const ascii = /^[\x00-\x7f]*$/.test(statement);
  const settings = CREATION_SETTINGS.filter((n) => shown[n] !== undefined && (n !== 'character_set_client' || ascii || UTF8.test(shown[n]!)));
  await query(target, `USE ${ident(schema)}`, timeoutMs);
  const [before] = await query<Record<string, string>>(
    target,
    `SELECT ${[...settings.map((n) => `@@SESSION.${n} AS ${n}`), '@@collation_database AS db'].join(', ')}`,
    timeoutMs,
  );
  const set = (values: Record<string, string>) =>
    query(
      target,
      `SET ${settings.map((n) => `SESSION ${n} = ?`).join(', ')}`,
      timeoutMs,
      settings.map((n) => values[n]),
    );
  // The database's collation then is recorded with the program: the donor's may have been altered since.
  const dbCollation = shown['Database Collation'];
  const alterDb = dbCollation !== undefined && dbCollation !== before!.db && /^\w+$/.test(dbCollation);
  if (settings.length > 0) await set(shown);
  try {
    if (alterDb) await query(target, `ALTER DATABASE ${ident(schema)} COLLATE ${dbCollation}`, LONG);
    await query(target, statement, LONG);
  } finally {
    if (alterDb) await query(target, `ALTER DATABASE ${ident(schema)} COLLATE ${before!.db}`, LONG);
    if (settings.length > 0) await set(before!);
  }
}

/**
 * Events run on the primary; on a replica they stay disabled, as replication leaves them. They are
 * created so: one created enabled can fire before an ALTER disables it (the scheduler runs a due
 * event at once), writing rows, and a GTID, of the replica's own.
 */
function disabledOnReplica(createEvent: string): string {
  const status = /( ON COMPLETION (?:NOT )?PRESERVE )(?:ENABLE|DISABLE ON SLAVE|DISABLE)\b/;
  if (!status.test(createEvent)) throw new Error(`cannot find the status of this event to create it disabled: ${createEvent.slice(0, 200)}`);
  return createEvent.replace(status, '$1DISABLE ON SLAVE');
}

async function recreateTables(tables: TableInfo[], donor: Connection, target: Connection, timeoutMs: number): Promise<void> {
  for (const table of tables) {
    const [row] = await query<Record<string, string>>(donor, `SHOW CREATE TABLE ${qualified(table.schema, table.name)}`, timeoutMs);
    await query(target, `USE ${ident(table.schema)}`, timeoutMs);
    await query(target, `DROP TABLE IF EXISTS ${qualified(table.schema, table.name)}`, LONG);
    await query(target, row!['Create Table']!, LONG);
  }
}

/**
 * Triggers of one table, timing and event fire in their ACTION_ORDER, and each one created without
 * FOLLOWS or PRECEDES goes last: created in the donor's order (the inventory's), they fire in it.
 * SHOW CREATE TRIGGER leaves out the FOLLOWS or PRECEDES a trigger was created with, which would
 * name one not created yet anyway. All are dropped first, so none left from an earlier run stands
 * before the ones created now.
 */
async function createTriggers(plan: RebuildPlan, donor: Connection, target: Connection, timeoutMs: number): Promise<void> {
  for (const tr of plan.inventory.triggers) await query(target, `DROP TRIGGER IF EXISTS ${qualified(tr.schema, tr.name)}`, LONG);
  for (const tr of plan.inventory.triggers) {
    const [row] = await query<Record<string, string>>(donor, `SHOW CREATE TRIGGER ${qualified(tr.schema, tr.name)}`, timeoutMs);
    await createAsOnDonor(target, tr.schema, row!, row!['SQL Original Statement']!, timeoutMs);
  }
}

/** Streams a table from the donor's snapshot into the replica in multi-row INSERTs. */
async function copyTable(donor: Connection, target: Connection, table: TableInfo, batchRows: number, progress: (rows: number) => void): Promise<void> {
  if (table.columns.length === 0) return;
  const cols = table.columns.map(ident).join(', ');
  const insert = `INSERT INTO ${qualified(table.schema, table.name)} (${cols}) VALUES ?`;
  // The promise API has no row stream; its wrapper holds the callback connection, which does.
  const core = (donor as unknown as { connection: import('mysql2').Connection }).connection;
  const stream = core
    .query({ sql: `SELECT ${selectList(table)} FROM ${qualified(table.schema, table.name)}`, rowsAsArray: true, typeCast: exactText })
    .stream({ highWaterMark: batchRows });
  const rows = stream[Symbol.asyncIterator]() as AsyncIterator<unknown[]>;
  let batch: unknown[][] = [];
  let copied = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    await query(target, insert, LONG, [batch]);
    copied += batch.length;
    batch = [];
    progress(copied);
  };
  try {
    for (;;) {
      const next = await withDeadline(rows.next(), IDLE_READ_MS, `read ${tableKey(table)}`);
      if (next.done) break;
      batch.push(next.value);
      if (batch.length >= batchRows) await flush();
    }
    await flush();
  } finally {
    stream.destroy();
  }
}

/** Waits until the replica has applied what the primary had when asked. */
async function catchUp(primary: Connection, target: Connection, seconds: number, timeoutMs: number): Promise<void> {
  const [row] = await query<{ pos: string }>(primary, 'SELECT @@gtid_binlog_pos AS pos', timeoutMs);
  await waitUntilApplied(target, row?.pos ?? '', seconds, timeoutMs, true);
}
