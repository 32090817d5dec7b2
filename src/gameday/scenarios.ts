import { sleep } from '../util/deadline';
import { setLoss } from '../sandbox/netns';
import { restartMemcached, restartServer, sandboxSql, signalPart, type SandboxState } from '../sandbox/sandbox';
import type { DeadManAlarm } from './deadman';
import type { FakeSns, ReceivedPage } from './fakeSns';
import type { Monitor } from './monitor';

/** What a scenario can touch: the topology, the paging channel and the monitor itself. */
export interface DrillContext {
  sandbox: SandboxState;
  sns: FakeSns;
  monitor: Monitor;
  deadMan: DeadManAlarm;
  /** Runs the command a page told on-call to run, with `--execute`, as on-call would. */
  runFix(page: ReceivedPage): Promise<void>;
  /** Starts `replwatch runbook rebuild-replica ARGS --json` on the drill's config and state; its JSON events as they come. */
  startRebuild(args: string[]): { events: () => Array<{ step?: string; status?: string }>; kill: () => void; exited: Promise<number | null> };
  until(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs?: number): Promise<void>;
}

export interface Scenario {
  name: string;
  /** What is broken, for the scorecard and the report. */
  fault: string;
  /** The alert the monitor must raise: a finding code (or the dead-man alarm's name) and its target. */
  expected(ctx: DrillContext): { code: string; target: string };
  /** For a compound fault, the other incidents it is: each must page once and resolve once too. */
  alsoExpected?(ctx: DrillContext): Array<{ code: string; target: string }>;
  /** Why it cannot run here (e.g. packet loss needs root), or undefined. */
  unavailable?(ctx: DrillContext): string | undefined;
  inject(ctx: DrillContext): Promise<void>;
  /** The repair on-call would make; gets the firing page when there was one. */
  recover(ctx: DrillContext, firing: ReceivedPage | undefined): Promise<void>;
  /** Puts the topology back as it was, whatever happened; runs after every scenario, idempotent. */
  restore(ctx: DrillContext): Promise<void>;
  detectTimeoutMs?: number;
  /** How long the repair may take to page its resolve (default 45 s). */
  resolveTimeoutMs?: number;
}

const sql = (ctx: DrillContext, server: string, statements: string) => sandboxSql(ctx.sandbox, server, statements);
const node = (ctx: DrillContext, i: number) => `127.0.0.1:${ctx.sandbox.memcached[i]!.port}`;

async function slaveRunning(ctx: DrillContext, server: string): Promise<boolean> {
  const [row] = (await sql(ctx, server, 'SHOW SLAVE STATUS')) as Array<{ Slave_SQL_Running: string; Slave_IO_Running: string }>;
  return row?.Slave_SQL_Running === 'Yes';
}

/** A fix command from a page, or the replica's own repair when the drill saw no page to take it from. */
async function fixOrRestore(ctx: DrillContext, firing: ReceivedPage | undefined, scenario: Scenario): Promise<void> {
  if (firing?.fix) await ctx.runFix(firing);
  else await scenario.restore(ctx);
}

const replicaSqlError: Scenario = {
  name: 'replica-sql-error',
  fault: "sandbox-r1 holds a row the primary then inserts too: the SQL thread stops on 1062 Duplicate entry; repaired by the page's rebuild runbook",
  expected: () => ({ code: 'ReplicationBroken', target: 'sandbox-r1' }),
  inject: async (ctx) => {
    await sql(ctx, 'sandbox-r1', "SET sql_log_bin=0; INSERT INTO app.accounts VALUES (9001, 'drift', 0); SET sql_log_bin=1");
    await sql(ctx, 'sandbox-primary', "INSERT INTO app.accounts VALUES (9001, 'gameday', 0)");
  },
  recover: (ctx, firing) => fixOrRestore(ctx, firing, replicaSqlError),
  restore: async (ctx) => {
    if (!(await slaveRunning(ctx, 'sandbox-r1')))
      await sql(ctx, 'sandbox-r1', 'SET sql_log_bin=0; DELETE FROM app.accounts WHERE id = 9001; SET sql_log_bin=1; START SLAVE');
    await sql(ctx, 'sandbox-primary', 'DELETE FROM app.accounts WHERE id = 9001');
  },
};

/** A fault one statement on one server makes, and another undoes (for recovery and restore alike). */
const sqlFault = (o: Pick<Scenario, 'name' | 'fault' | 'detectTimeoutMs'> & { code: string; target: string; make: string; undo: string }): Scenario => ({
  name: o.name,
  fault: o.fault,
  expected: () => ({ code: o.code, target: o.target }),
  inject: async (ctx) => void (await sql(ctx, o.target, o.make)),
  recover: async (ctx) => void (await sql(ctx, o.target, o.undo)),
  restore: async (ctx) => void (await sql(ctx, o.target, o.undo)),
  ...(o.detectTimeoutMs ? { detectTimeoutMs: o.detectTimeoutMs } : {}),
});

const replicaStopped = sqlFault({
  name: 'replica-stopped',
  fault: 'STOP SLAVE on sandbox-r2',
  code: 'ReplicationStopped',
  target: 'sandbox-r2',
  make: 'STOP SLAVE',
  undo: 'START SLAVE',
});

const delay = 'STOP SLAVE; CHANGE MASTER TO MASTER_DELAY = 60; START SLAVE';
const undelay = 'STOP SLAVE; CHANGE MASTER TO MASTER_DELAY = 0; START SLAVE';
const replicaLagging = sqlFault({
  name: 'replica-lagging',
  fault: 'sandbox-r1 applies events 60 s late (MASTER_DELAY): its heartbeat falls behind',
  code: 'ReplicaLagging',
  target: 'sandbox-r1',
  make: delay,
  undo: undelay,
  // Lag must pass the 5 s warning for 2 samples: about 7 s after the delay starts.
  detectTimeoutMs: 40_000,
});

const primaryDown: Scenario = {
  name: 'primary-down',
  fault: 'the primary mariadbd is killed (SIGKILL); both replicas lose it: one page for the primary, none per replica',
  expected: () => ({ code: 'PrimaryUnreachable', target: 'sandbox-primary' }),
  inject: async (ctx) => signalPart(ctx.sandbox, 'sandbox-primary', 'SIGKILL'),
  recover: async (ctx) => void (await restartServer(ctx.sandbox, 'sandbox-primary')),
  restore: async (ctx) => {
    const ok = await sql(ctx, 'sandbox-primary', 'SELECT 1').then(
      () => true,
      () => false,
    );
    if (!ok) await restartServer(ctx.sandbox, 'sandbox-primary');
  },
};

const replicaWritable = sqlFault({
  name: 'replica-writable',
  fault: 'read_only turned off on sandbox-r1',
  code: 'ReplicaWritable',
  target: 'sandbox-r1',
  make: 'SET GLOBAL read_only = 0',
  undo: 'SET GLOBAL read_only = 1',
});

const errantTransaction: Scenario = {
  name: 'errant-transaction',
  fault: "a write made directly on sandbox-r2 (its own GTID, which the primary never had); repaired by the page's rebuild runbook",
  expected: () => ({ code: 'ErrantTransactions', target: 'sandbox-r2' }),
  inject: async (ctx) => void (await sql(ctx, 'sandbox-r2', "INSERT INTO app.accounts VALUES (9002, 'errant', 0)")),
  recover: (ctx, firing) => fixOrRestore(ctx, firing, errantTransaction),
  // Without the runbook: drop the row and the replica's own binlog (which holds the errant GTID).
  restore: async (ctx) => {
    const [row] = (await sql(ctx, 'sandbox-r2', 'SELECT @@gtid_binlog_pos AS pos')) as Array<{ pos: string }>;
    if (/\b0-3-\d+/.test(row?.pos ?? ''))
      await sql(ctx, 'sandbox-r2', 'SET sql_log_bin=0; DELETE FROM app.accounts WHERE id = 9002; SET sql_log_bin=1; RESET MASTER');
  },
};

const memcachedKilled: Scenario = {
  name: 'memcached-killed',
  fault: 'memcached sessions-a is killed (SIGKILL)',
  expected: (ctx) => ({ code: 'MemcacheUnreachable', target: node(ctx, 0) }),
  inject: async (ctx) => signalPart(ctx.sandbox, 'sessions-a', 'SIGKILL'),
  recover: async (ctx) => void (await restartMemcached(ctx.sandbox, 'sessions-a')),
  restore: async (ctx) => {
    const pid = ctx.sandbox.memcached[0]!.pid;
    try {
      process.kill(pid, 0);
    } catch {
      await restartMemcached(ctx.sandbox, 'sessions-a');
    }
  },
};

const memcachedHung: Scenario = {
  name: 'memcached-hung',
  fault: 'memcached sessions-b is frozen (SIGSTOP): it accepts connections but never answers',
  expected: (ctx) => ({ code: 'MemcacheUnreachable', target: node(ctx, 1) }),
  inject: async (ctx) => signalPart(ctx.sandbox, 'sessions-b', 'SIGSTOP'),
  recover: async (ctx) => signalPart(ctx.sandbox, 'sessions-b', 'SIGCONT'),
  restore: async (ctx) => signalPart(ctx.sandbox, 'sessions-b', 'SIGCONT'),
};

const packetLoss: Scenario = {
  name: 'packet-loss',
  fault: '30% of TCP SYNs to the lossy host dropped (iptables -m statistic in its network namespace)',
  expected: (ctx) => ({ code: 'PacketLoss', target: `${ctx.sandbox.lossyHost!.nsAddr}:${ctx.sandbox.lossyHost!.port}` }),
  unavailable: (ctx) => (ctx.sandbox.lossyHost ? undefined : `no lossy host: ${ctx.sandbox.lossyHostSkipped}`),
  inject: (ctx) => setLoss(ctx.sandbox.lossyHost!, 0.3),
  recover: (ctx) => setLoss(ctx.sandbox.lossyHost!, 0),
  restore: async (ctx) => {
    if (ctx.sandbox.lossyHost) await setLoss(ctx.sandbox.lossyHost, 0);
  },
};

const primaryHung: Scenario = {
  name: 'primary-hung',
  fault:
    "the primary mariadbd is frozen (SIGSTOP): it accepts connections and never answers, and its replicas' IO threads say Yes until slave_net_timeout; their heartbeat copies go stale: one critical page for the primary, none for the monitor's path or the replicas' lag",
  expected: () => ({ code: 'PrimaryUnreachable', target: 'sandbox-primary' }),
  inject: async (ctx) => signalPart(ctx.sandbox, 'sandbox-primary', 'SIGSTOP'),
  recover: async (ctx) => signalPart(ctx.sandbox, 'sandbox-primary', 'SIGCONT'),
  restore: async (ctx) => signalPart(ctx.sandbox, 'sandbox-primary', 'SIGCONT'),
  // Stale after staleSeconds (10), then two samples.
  detectTimeoutMs: 40_000,
};

const lagWithFrozenSibling: Scenario = {
  name: 'replica-lagging-sibling-frozen',
  fault:
    'sandbox-r1 applies events 60 s late while its sibling sandbox-r2 is frozen (SIGSTOP): each sample waits out r2, and r1 is still paged for its own lag, r2 for being unreachable, and nothing else',
  expected: () => ({ code: 'ReplicaLagging', target: 'sandbox-r1' }),
  alsoExpected: () => [{ code: 'ReplicaUnreachable', target: 'sandbox-r2' }],
  inject: async (ctx) => {
    signalPart(ctx.sandbox, 'sandbox-r2', 'SIGSTOP');
    await sql(ctx, 'sandbox-r1', delay);
  },
  recover: async (ctx) => {
    await sql(ctx, 'sandbox-r1', undelay);
    signalPart(ctx.sandbox, 'sandbox-r2', 'SIGCONT');
  },
  restore: async (ctx) => {
    signalPart(ctx.sandbox, 'sandbox-r2', 'SIGCONT');
    await sql(ctx, 'sandbox-r1', undelay);
  },
  detectTimeoutMs: 40_000,
};

/** Enough rows that a rebuild copies for a second or two: time to kill it half-way. */
const seedBig =
  "USE app; CREATE TABLE IF NOT EXISTS gameday_big (id INT PRIMARY KEY, pad CHAR(200) NOT NULL) SELECT seq AS id, REPEAT('x', 200) AS pad FROM seq_1_to_100000";

const rebuildKilled: Scenario = {
  name: 'rebuild-killed',
  fault:
    "on-call rebuilds sandbox-r1 (with --force) and the rebuild is killed (kill -9) half-way through the copy: once its lease lapses the half-copied replica pages as one RebuildFailed naming its --resume, and the page's command finishes it",
  expected: () => ({ code: 'RebuildFailed', target: 'sandbox-r1' }),
  inject: async (ctx) => {
    await sql(ctx, 'sandbox-primary', seedBig);
    await ctx.until(
      'the seed to reach sandbox-r1',
      async () => ((await sql(ctx, 'sandbox-r1', 'SELECT COUNT(*) AS n FROM app.gameday_big').catch(() => [])) as Array<{ n: number }>)[0]?.n === 100000,
      30_000,
    );
    const run = ctx.startRebuild(['--cluster', 'sandbox', '--replica', 'sandbox-r1', '--execute', '--force', '--lease', '3s', '--workers', '1']);
    await ctx.until('the rebuild to be copying rows', () => run.events().some((e) => e.step === 'copy rows' && e.status === 'progress'), 60_000);
    run.kill();
    await run.exited;
  },
  recover: (ctx, firing) => fixOrRestore(ctx, firing, rebuildKilled),
  restore: async (ctx) => {
    // Whatever is left: a rebuild that never finished is started over, then the seed dropped.
    if (!(await slaveRunning(ctx, 'sandbox-r1'))) {
      const run = ctx.startRebuild(['--cluster', 'sandbox', '--replica', 'sandbox-r1', '--execute', '--force', '--resume']);
      if ((await run.exited) !== 0) await ctx.startRebuild(['--cluster', 'sandbox', '--replica', 'sandbox-r1', '--execute', '--force']).exited;
    }
    await sql(ctx, 'sandbox-primary', 'DROP TABLE IF EXISTS app.gameday_big');
  },
  detectTimeoutMs: 60_000,
  resolveTimeoutMs: 90_000,
};

const pagingChannelDown: Scenario = {
  name: 'paging-channel-down',
  fault: 'SNS answers 500 while sandbox-r1 is stopped: the monitor must record the page, retry, and deliver it once SNS is back',
  expected: () => ({ code: 'ReplicationStopped', target: 'sandbox-r1' }),
  inject: async (ctx) => {
    ctx.sns.failing = true;
    const from = ctx.sns.publishes.length;
    await sql(ctx, 'sandbox-r1', 'STOP SLAVE');
    const refused = () => ctx.sns.publishes.slice(from).some((p) => !p.accepted && p.attributes.code === 'ReplicationStopped');
    await ctx.until('the monitor to try to page and be refused', refused, 30_000);
    // Longer than one sample's own retries (under 4 s): the page must be recorded as owed and
    // sent by a later sample.
    await sleep(5000);
    ctx.sns.failing = false;
  },
  recover: async (ctx) => void (await sql(ctx, 'sandbox-r1', 'START SLAVE')),
  restore: async (ctx) => {
    ctx.sns.failing = false;
    await sql(ctx, 'sandbox-r1', 'START SLAVE');
  },
};

const monitorStopped: Scenario = {
  name: 'monitor-stopped',
  fault: "the monitor itself is killed: nothing reports, so the dead-man alarm (serverless.yml's rule, applied to its metrics) must page",
  expected: (ctx) => ({ code: ctx.deadMan.name, target: ctx.deadMan.name }),
  inject: (ctx) => ctx.monitor.kill(),
  recover: async (ctx) => ctx.monitor.start(),
  restore: async (ctx) => ctx.monitor.start(),
};

/** Every scenario, in the order the drill runs them (each leaves the topology healthy for the next). */
export const SCENARIOS: readonly Scenario[] = [
  replicaStopped,
  replicaWritable,
  replicaSqlError,
  errantTransaction,
  replicaLagging,
  lagWithFrozenSibling,
  primaryDown,
  primaryHung,
  rebuildKilled,
  memcachedKilled,
  memcachedHung,
  packetLoss,
  pagingChannelDown,
  monitorStopped,
];

/** The named scenarios in drill order; an unknown name is an error listing the valid ones. */
export function selectScenarios(names: string[] | undefined): Scenario[] {
  if (!names?.length) return [...SCENARIOS];
  const known = new Map(SCENARIOS.map((s) => [s.name, s]));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length) throw new UnknownScenario(unknown, [...known.keys()]);
  return SCENARIOS.filter((s) => names.includes(s.name));
}

export class UnknownScenario extends Error {
  constructor(unknown: string[], valid: string[]) {
    super(`unknown scenario${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; valid: ${valid.join(', ')}`);
  }
}
