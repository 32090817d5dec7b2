import { setTimeout as wait } from 'node:timers/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { SecretResolver } from '../../config/secrets';
import { DEFAULT_SERVICE } from '../../config/schema';
import { query, type Connection, type MysqlConnections } from '../../mysql/connections';
import { qualified } from '../../mysql/identifiers';
import { adminConnection, adminEndpoint, isAccessError, type AdminAccount } from '../accounts';
import { freshCheckpoint, type RebuildCheckpoint } from '../checkpoint';
import { LeaseLost, RebuildFailed, RebuildPaused, RunbookRefusal } from '../errors';
import type { RebuildEvent, RebuildResult } from '../logical';
import { waitUntilApplied } from '../replication';
import type { RebuildTarget } from '../target';
import { Throughput } from '../throughput';
import { checksumTables } from '../verify';
import { HostStepPending, remotePasswordSource, type HostAgent } from './agent';
import { HOST_QUERY_MS, refuseNoRoom, type PhysicalPlan, type PhysicalStep } from './plan';

/** Admin on the replica and the checksums: they wait on the data, not a round trip. */
const LONG = 600_000;
/** A server stopped or started by its service command, and answering (or not) after. */
const SERVICE_MS = 300_000;
/** The backup, its extraction and its prepare: the data's time. A stream that stops moving for this long has failed. */
const STREAM_IDLE_MS = 300_000;
const STREAM_MS = 24 * 3600_000;
const PREPARE_MS = 6 * 3600_000;
const PROGRESS_EVERY_MS = 500;
/** A stream between hosts is measured by the size of what has arrived: a host step each time. */
const REMOTE_PROGRESS_EVERY_MS = 5000;

export interface PhysicalExecuteOptions {
  plan: PhysicalPlan;
  target: RebuildTarget;
  agents: { donor: HostAgent; replica: HostAgent };
  connections: MysqlConnections;
  secrets: SecretResolver;
  admin: AdminAccount;
  resume?: RebuildCheckpoint;
  checkpoint?: (c: RebuildCheckpoint) => Promise<void>;
  fence?: () => void;
  signal?: AbortSignal;
  onEvent?: (e: RebuildEvent) => void;
  catchUpTimeoutSeconds?: number;
  /** Asked while a host step runs: true hands the wait to the next run (a Lambda invocation about to end). */
  shouldPause?: () => boolean;
}

/**
 * The physical strategy: the replica stopped, a backup of the donor streamed into a new datadir
 * beside its own (no copy on disk in between), prepared, swapped in (the old one kept aside),
 * started, pointed at the primary by the backup's own GTID position, caught up and verified by
 * checksum. Only the replica's host and server are written; the donor is read by its backup
 * tool, the primary only queried. A step that fails puts the old datadir back and leaves the
 * replica stopped (replication) and read_only; a run killed half-way resumes from its last done step.
 */
export async function executePhysical(o: PhysicalExecuteOptions): Promise<RebuildResult> {
  const run = new PhysicalRebuild(o);
  try {
    await run.step('check space', () => run.checkSpace());
    await run.step('stop replication', () => run.stopReplication());
    await run.step('stop server', () => run.service('stop'));
    await run.step('stream backup', () => run.stream());
    await run.step('prepare', () => run.host('replica', 'prepare', [o.plan.tool, o.plan.newDir], PREPARE_MS));
    await run.step('swap datadir', () => run.swap());
    await run.step('start server', async () => {
      await run.service('start');
      await run.quietEvents();
    });
    await run.step('start replication', () => run.startReplication());
    await run.step('catch up', () => run.catchUp());
    const checksums = await run.step('verify checksums', () => run.verify());
    await run.step('discard old datadir', () => run.host('replica', 'discard', [o.plan.asideDir], SERVICE_MS));
    return { gtidPosition: run.position, rowsCopied: 0, seconds: run.seconds(), checksums: checksums ?? [] };
  } catch (e) {
    throw await run.failed(e as Error);
  }
}

class PhysicalRebuild {
  private readonly started = Date.now();
  private readonly cp: RebuildCheckpoint;
  private current: PhysicalStep = 'check space';
  private cleaning = false;
  /** The replica's own replication account, read from its old master.info before the swap. */
  private sourceAccount: { user: string; password: string } | undefined;

  constructor(private readonly o: PhysicalExecuteOptions) {
    const p = o.plan;
    const r = o.resume?.strategy === 'physical' && o.resume.replica === p.replica && o.resume.physical ? o.resume : undefined;
    this.cp = r
      ? { ...r, physical: { ...r.physical!, done: [...r.physical!.done] } }
      : { ...freshCheckpoint(p.replica, 'physical'), physical: { datadir: p.datadir, newDir: p.newDir, asideDir: p.asideDir, donor: p.donor, done: [] } };
  }

  get position(): string {
    return this.cp.position;
  }

  seconds(): number {
    return (Date.now() - this.started) / 1000;
  }

  private emit(e: Omit<RebuildEvent, 'at'>): void {
    this.o.onEvent?.({ ...e, at: new Date().toISOString() });
  }

  private save(): Promise<void> {
    return this.o.checkpoint?.(this.cp) ?? Promise.resolve();
  }

  /** Every write to the replica or its host asks first: the lease still held, no Ctrl-C. */
  private fence(): void {
    this.o.fence?.();
    if (this.o.signal?.aborted && !this.cleaning) throw new Error(String(this.o.signal.reason));
  }

  /** A named step: skipped when a run it resumes did it, else checkpointed, announced, and named in its failure. */
  async step<T>(name: PhysicalStep, fn: () => Promise<T>): Promise<T | undefined> {
    const done = this.cp.physical!.done;
    if (done.includes(name)) {
      this.emit({ step: name, status: 'skipped', detail: 'done by the run this one resumes' });
      return undefined;
    }
    this.fence();
    // Too little time left for a step to end in this run (a Lambda invocation): the next run starts it.
    if (this.o.shouldPause?.()) throw new RebuildPaused(this.cp, `paused before ${name}`);
    this.current = name;
    this.cp.step = name;
    await this.save();
    this.emit({ step: name, status: 'start' });
    let out: T;
    try {
      out = await fn();
    } catch (e) {
      if (e instanceof HostStepPending) throw new RebuildPaused(this.cp, `${e.message}; the next run waits for it`);
      throw e;
    }
    done.push(name);
    delete this.cp.physical!.commands;
    await this.save();
    this.emit({ step: name, status: 'done' });
    return out;
  }

  /**
   * A host step of the step under way. Its command id is kept in the checkpoint as soon as it is
   * sent, so a run that resumes waits for that command rather than running the step twice.
   */
  async host(role: 'donor' | 'replica', step: string, args: string[], timeoutMs: number, o: { input?: string; signal?: AbortSignal } = {}): Promise<string> {
    const agent = this.o.agents[role];
    // Putting things back runs to its end, in this run: nothing of it is handed over.
    if (this.cleaning) return agent.run(step, args, { timeoutMs, ...o });
    const cp = this.cp.physical!;
    const key = `${role} ${step}`;
    const inflight = cp.commands?.[key];
    return agent.run(step, args, {
      timeoutMs,
      ...o,
      ...(inflight ? { inflight } : {}),
      sent: async (id) => {
        cp.commands = { ...cp.commands, [key]: id };
        await this.save();
      },
      ...(this.o.shouldPause ? { shouldPause: this.o.shouldPause } : {}),
    });
  }

  private async target(): Promise<Connection> {
    // A fresh connection each time: the server is stopped and started under this run.
    this.o.connections.drop(adminEndpoint(this.o.target.cluster, this.o.target.replica, this.o.admin));
    return adminConnection(this.o.connections, this.o.target.cluster, this.o.target.replica, this.o.admin, this.o.secrets);
  }

  /** Right before the replica stops: the room measured by the plan may have gone since. */
  async checkSpace(): Promise<void> {
    const [, free] = (await this.host('replica', 'layout', [this.o.plan.datadir], HOST_QUERY_MS)).split('\n');
    refuseNoRoom({ ...this.o.plan, freeBytes: Number(free) });
  }

  async stopReplication(): Promise<void> {
    const t = await this.target();
    await query(t, 'STOP ALL SLAVES', LONG).catch((e: Error) => {
      throw isAccessError(e) ? new RunbookRefusal(`${e.message}: the account cannot stop replication there; nothing was changed`) : e;
    });
    await query(t, 'SET GLOBAL read_only = 1', LONG);
  }

  async service(what: 'start' | 'stop'): Promise<void> {
    const r = this.o.target.replica;
    const command = r.service?.[what] ?? DEFAULT_SERVICE[what];
    await this.host('replica', 'service', [command], SERVICE_MS);
    if (what === 'start') await this.answering();
  }

  /** The started server takes connections (it may still be recovering when its start command returns). */
  private async answering(): Promise<void> {
    const until = Date.now() + SERVICE_MS;
    for (;;) {
      try {
        await query(await this.target(), 'SELECT 1', this.o.target.cluster.timeoutMs);
        return;
      } catch (e) {
        if (Date.now() > until)
          throw new Error(`${this.o.target.replica.name} did not answer within ${SERVICE_MS / 1000} s of its start: ${(e as Error).message}`);
        await new Promise((res) => setTimeout(res, 500));
      }
    }
  }

  /** The backup's password for the donor's agent: `-` and the password on stdin here, else the reference its host reads (never the password in a command). */
  private async passwordFor(donor: HostAgent): Promise<{ from: string; input?: string }> {
    if (donor.start) return { from: '-', input: await this.o.secrets.resolve(this.o.admin.password) };
    return { from: remotePasswordSource(this.o.admin.password, donor.where) };
  }

  private backupArgs(from: string): string[] {
    const donor = this.o.target.donor;
    return [this.o.plan.tool, donor.host, String(donor.port), this.o.admin.user, from];
  }

  private readonly slaveInfo = () => (this.o.target.donor.role === 'replica' ? ['--slave-info'] : []);

  /** Both agents run their steps here: the backup passes through this process; else it crosses from host to host. */
  async stream(): Promise<void> {
    const { donor, replica } = this.o.agents;
    if (donor.start && replica.start) await this.pipeStream(donor.start.bind(donor), replica.start.bind(replica));
    else await this.tcpStream();
  }

  /**
   * The donor's backup tool writes to its stdout, the replica's extraction reads its stdin, and
   * this process carries the bytes between them (counting them for the progress line; the two
   * die with it, so a killed run leaves no stream writing).
   */
  private async pipeStream(startDonor: NonNullable<HostAgent['start']>, startReplica: NonNullable<HostAgent['start']>): Promise<void> {
    const { plan } = this.o;
    const { from, input } = await this.passwordFor(this.o.agents.donor);
    const backup = startDonor('backup', [...this.backupArgs(from), ...this.slaveInfo()], input === undefined ? {} : { input });
    const receive = startReplica('receive', [plan.tool, plan.newDir], {});
    const pace = new Throughput();
    let bytes = 0;
    let lastEmit = 0;
    let idle: NodeJS.Timeout | undefined;
    let stalled: Error | undefined;
    const kill = () => {
      backup.kill();
      receive.kill();
    };
    const restartIdle = () => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        stalled = new Error(`the backup stream moved no byte for ${STREAM_IDLE_MS / 1000} s`);
        kill();
      }, STREAM_IDLE_MS);
    };
    const counter = new Transform({
      transform: (chunk: Buffer, _enc, next) => {
        try {
          this.fence();
        } catch (e) {
          next(e as Error);
          return;
        }
        bytes += chunk.length;
        restartIdle();
        const now = Date.now();
        if (now - lastEmit >= PROGRESS_EVERY_MS) {
          lastEmit = now;
          this.progress(pace, bytes);
        }
        next(null, chunk);
      },
    });
    restartIdle();
    try {
      await Promise.all([pipeline(backup.stdout, counter, receive.stdin), backup.done, receive.done]);
    } catch (e) {
      kill();
      throw stalled ?? e;
    } finally {
      clearTimeout(idle);
    }
    this.streamed(bytes);
  }

  /**
   * Host to host (an SSM agent on either side): the replica's host listens on its stream port for
   * the donor's address only, the donor's host sends its backup there (socat, host-steps.sh), and
   * this process only follows the two commands, measuring what has arrived for the progress line.
   * One side failing stops the other, so no listener is left waiting and no copy keeps writing.
   */
  private async tcpStream(): Promise<void> {
    const { plan, target, agents } = this.o;
    const { from, input } = await this.passwordFor(agents.donor);
    const port = String(agents.replica.streamPort);
    const idle = String(STREAM_IDLE_MS / 1000);
    const stop = new AbortController();
    const sides = [
      this.host('replica', 'listen', [plan.tool, plan.newDir, port, target.donor.host, idle], STREAM_MS, { signal: stop.signal }),
      this.host('donor', 'send', [...this.backupArgs(from), target.replica.host, port, idle, ...this.slaveInfo()], STREAM_MS, {
        signal: stop.signal,
        ...(input === undefined ? {} : { input }),
      }),
    ].map((p) =>
      p.catch((e: Error) => {
        if (!(e instanceof HostStepPending)) stop.abort();
        throw e;
      }),
    );
    const watching = this.watchArrival(stop.signal);
    const settled = await Promise.allSettled(sides);
    stop.abort();
    await watching;
    const failures = settled.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as Error);
    const first = failures.find((e) => !(e instanceof HostStepPending)) ?? failures[0];
    if (first) throw first;
    this.streamed(Number(await this.host('replica', 'data-bytes', [plan.newDir], HOST_QUERY_MS).catch(() => plan.dataBytes)));
  }

  /** The size of the new datadir as it grows, until `stop`: a stream this process does not carry. */
  private async watchArrival(stop: AbortSignal): Promise<void> {
    const pace = new Throughput();
    while (!stop.aborted) {
      await wait(REMOTE_PROGRESS_EVERY_MS, undefined, { signal: stop }).catch(() => undefined);
      if (stop.aborted) return;
      // Its own command each time, never handed over: a reading lost is only a line not updated.
      const bytes = await this.o.agents.replica.run('data-bytes', [this.o.plan.newDir], { timeoutMs: HOST_QUERY_MS, signal: stop }).catch(() => undefined);
      if (bytes !== undefined && !stop.aborted) this.progress(pace, Number(bytes));
    }
  }

  private progress(pace: Throughput, bytes: number): void {
    const m = pace.measure({ rows: bytes, bytes }, this.o.plan.dataBytes);
    this.emit({ step: 'stream backup', status: 'progress', doneBytes: bytes, allBytes: this.o.plan.dataBytes, ...round(m) });
  }

  private streamed(bytes: number): void {
    this.emit({ step: 'stream backup', status: 'progress', doneBytes: bytes, allBytes: Math.max(bytes, this.o.plan.dataBytes), etaSeconds: 0 });
  }

  async swap(): Promise<void> {
    const { datadir, newDir, asideDir } = this.cp.physical!;
    // Its position is read before the swap, which removes the backup's own files from the datadir.
    this.cp.position = await this.host('replica', 'position', [newDir], HOST_QUERY_MS);
    if (!/^\d+-\d+-\d+(,\d+-\d+-\d+)*$/.test(this.cp.position)) throw new Error(`the backup's GTID position is not one: '${this.cp.position}'`);
    await this.save();
    if (!this.o.target.cluster.replication) {
      // The replica's own replication account, kept in the old datadir's master.info (the backup has the donor's, or none).
      const [user, password] = (await this.host('replica', 'source-account', [datadir], HOST_QUERY_MS)).split('\n');
      this.sourceAccount = { user: user ?? '', password: password ?? '' };
    }
    await this.host('replica', 'swap', [datadir, newDir, asideDir], SERVICE_MS);
  }

  async startReplication(): Promise<void> {
    const t = await this.target();
    const c = this.o.target.cluster;
    const account = c.replication
      ? { user: c.replication.user, password: await this.o.secrets.resolve(c.replication.password) }
      : (this.sourceAccount ?? (await this.accountFromAside()));
    const source = this.o.target.primary;
    await query(t, 'STOP ALL SLAVES', LONG);
    await query(t, 'SET GLOBAL read_only = 1', LONG);
    // The donor's binary log state is not this replica's: it starts clean, as a fresh replica.
    await query(t, 'RESET MASTER', LONG);
    await query(t, 'SET GLOBAL gtid_slave_pos = ?', LONG, [this.cp.position]);
    await query(t, 'CHANGE MASTER TO MASTER_HOST = ?, MASTER_PORT = ?, MASTER_USER = ?, MASTER_PASSWORD = ?, MASTER_USE_GTID = slave_pos', LONG, [
      source.host,
      source.port,
      account.user,
      account.password,
    ]);
    await query(t, 'START SLAVE', LONG);
  }

  /**
   * A backup of a primary carries its events enabled: run on the replica they would write there
   * (a heartbeat row under the replica's server_id: an errant GTID that stops replication). They
   * are set to DISABLE ON SLAVE at once, as a replica's copies of them are (a donor replica's
   * already are); the event scheduler is paused meanwhile. What one wrote in the moment before is
   * found by the checksums, and the rebuild then fails and puts the old datadir back.
   */
  async quietEvents(): Promise<void> {
    const t = await this.target();
    const [row] = await query<{ on: string }>(t, 'SELECT @@event_scheduler AS `on`', LONG);
    await query(t, 'SET GLOBAL event_scheduler = OFF', LONG);
    const events = await query<{ s: string; n: string }>(
      t,
      "SELECT EVENT_SCHEMA AS s, EVENT_NAME AS n FROM information_schema.EVENTS WHERE STATUS = 'ENABLED'",
      LONG,
    );
    for (const e of events) await query(t, `ALTER EVENT ${qualified(e.s, e.n)} DISABLE ON SLAVE`, LONG);
    if (row?.on === 'ON') await query(t, 'SET GLOBAL event_scheduler = ON', LONG);
  }

  /** A resumed run after the swap: the old datadir (with the replica's master.info) is aside. */
  private async accountFromAside(): Promise<{ user: string; password: string }> {
    const [user, password] = (await this.host('replica', 'source-account', [this.cp.physical!.asideDir], HOST_QUERY_MS)).split('\n');
    return { user: user ?? '', password: password ?? '' };
  }

  async catchUp(): Promise<void> {
    const c = this.o.target.cluster;
    const primary = await adminConnection(this.o.connections, c, this.o.target.primary, this.o.admin, this.o.secrets);
    const [row] = await query<{ pos: string }>(primary, 'SELECT @@gtid_binlog_pos AS pos', c.timeoutMs);
    await waitUntilApplied(await this.target(), row?.pos ?? '', this.o.catchUpTimeoutSeconds ?? 300, c.timeoutMs, true);
  }

  async verify() {
    const c = this.o.target.cluster;
    const primary = await adminConnection(this.o.connections, c, this.o.target.primary, this.o.admin, this.o.secrets);
    const checksums = await checksumTables(this.o.plan.inventory.tables, primary, await this.target(), LONG);
    const bad = checksums.filter((x) => !x.match);
    if (bad.length > 0) throw new Error(`checksums differ for ${bad.map((b) => b.table).join(', ')}`);
    return checksums;
  }

  /**
   * What an error becomes. A run that lost its lease leaves everything to the new holder. Else
   * the old datadir is put back (the new one removed) and the server started on it with
   * replication stopped and read_only; the checkpoint then starts over: nothing of the copy is kept.
   */
  async failed(e: Error): Promise<Error> {
    // Handed over: the host commands keep running, and the next run waits for them.
    if (e instanceof LeaseLost || e instanceof RebuildPaused) return e;
    this.o.fence?.();
    if (e instanceof RunbookRefusal && !this.cp.physical!.done.includes('stop replication')) return e;
    this.cleaning = true;
    const { datadir, newDir, asideDir } = this.cp.physical!;
    const left: string[] = [];
    const attempt = async (what: string, fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (x) {
        left.push(`${what}: ${(x as Error).message}`);
      }
    };
    const done = this.cp.physical!.done;
    const reached = (step: PhysicalStep) => done.includes(step) || this.current === step;
    if (reached('swap datadir')) {
      // The new datadir may be running: stopped before the old one goes back under it.
      if (reached('start server') || done.includes('swap datadir')) await attempt('stop the server', () => this.service('stop'));
      await attempt('put the old datadir back', () => this.host('replica', 'put-back', [datadir, asideDir], SERVICE_MS));
    }
    await attempt('remove the partial copy', () => this.host('replica', 'discard', [newDir], SERVICE_MS));
    if (reached('stop server')) await attempt('start the server again', () => this.service('start'));
    await attempt('stop replication', async () => {
      const t = await this.target();
      await query(t, 'STOP ALL SLAVES', LONG);
      await query(t, 'SET GLOBAL read_only = 1', LONG);
    });
    const { commands: _, ...paths } = this.cp.physical!;
    this.cp.physical = { ...paths, done: [] };
    await this.save().catch(() => undefined);
    return new RebuildFailed(
      this.current,
      e,
      left.length === 0
        ? 'the old datadir is back in place and the replica is left stopped and read_only'
        : `the replica could not be put back as it was (${left.join('; ')}); the old datadir is ${done.includes('swap datadir') ? asideDir : datadir}`,
    );
  }
}

function round(m: { bytesPerSecond?: number; etaSeconds?: number }): { bytesPerSecond?: number; etaSeconds?: number } {
  return m.bytesPerSecond === undefined
    ? {}
    : { bytesPerSecond: Math.round(m.bytesPerSecond), ...(m.etaSeconds === undefined ? {} : { etaSeconds: m.etaSeconds }) };
}
