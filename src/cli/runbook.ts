import { createInterface } from 'node:readline';
import { Option, type Command } from 'commander';
import { loadConfig } from '../config/load';
import type { Config } from '../config/schema';
import { SecretResolver } from '../config/secrets';
import { DEFAULT_WORKERS, type RebuildEvent } from '../runbooks/logical';
import { renderPlanned } from '../runbooks/planText';
import { rebuildReplica } from '../runbooks/rebuild';
import { passwordNote } from '../runbooks/target';
import type { StrategyChoice } from '../runbooks/target';
import { ConsolePageSink, JsonlPageSink, SnsPageSink, type PageSink } from '../sinks/pages';
import { FileStore } from '../state/file';
import { OperatorError } from '../util/errors';
import type { Io } from './main';
import { commandStyle, configFileFrom, defaultPagesFile, stateFileFrom } from './paths';
import { countOption, durationOption, CONFIG_OPTION } from './options';
import { ProgressRenderer } from './rebuildProgress';
import { RunbookRefusal, unfinished } from '../runbooks/errors';

/** More connections than this per server is a load no replica rebuild needs. */
const MAX_WORKERS = 64;

/** The page sinks of a local watcher with its defaults (the terminal, the page record beside the config, SNS when configured): the alert it continues is one. */
function localSinks(config: Config, configFile: string, io: Io): PageSink[] {
  return [
    new ConsolePageSink((line) => io.err(line), io.tty),
    new JsonlPageSink(defaultPagesFile(configFile)),
    ...(config.alerts.snsTopicArn ? [new SnsPageSink(config.alerts.snsTopicArn)] : []),
  ];
}

/**
 * At a terminal, a healthy replica is rebuilt only once its name is typed back: the one guard a
 * person in a hurry cannot click through. A wrong or empty answer, or the end of input, is no.
 */
function askForName(io: Io): (replica: string) => Promise<boolean> {
  return (replica) =>
    new Promise((resolve) => {
      io.err(`${replica} is healthy (replicating, no error): a rebuild drops and recopies all of its data. Take it out of the read pool first.`);
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      let answered = false;
      rl.question(`To rebuild ${replica} anyway, type its name: `, (answer) => {
        answered = true;
        rl.close();
        resolve(answer.trim() === replica);
      });
      rl.once('close', () => answered || resolve(false));
    });
}

interface Options {
  config?: string;
  cluster: string;
  replica: string;
  donor?: string;
  execute?: boolean;
  resume?: boolean;
  force?: boolean;
  user?: string;
  password?: string;
  workers: number;
  strategy: StrategyChoice;
  lease?: number;
  state?: string;
  json?: boolean;
}

/** Every option is checked before anything is read or touched. */
function checkOptions(o: Options): void {
  if (o.password !== undefined && o.user === undefined)
    throw new OperatorError("--password needs --user (the cluster's admin account has its own password in the config)");
  if (o.resume && !o.execute) throw new OperatorError('--resume continues a rebuild: it needs --execute');
  if (o.force && !o.execute) throw new OperatorError('--force is for --execute: the plan never changes anything');
  // A lease is renewed every quarter of it by a timer, which Node caps at about 24 days; a rebuild lock held for weeks is a stuck lock.
  if (o.lease !== undefined && o.lease > 7 * 24 * 3600_000)
    throw new OperatorError(`--lease is at most 7d: a run that stops renewing it holds the cluster's rebuilds that long`);
}

function outcomeText({ planned, executed }: Awaited<ReturnType<typeof rebuildReplica>>, json: boolean | undefined): string {
  if (json)
    return JSON.stringify(
      executed
        ? { strategy: executed.strategy, result: executed.result }
        : { strategy: planned.strategy, ...(planned.chosen ? { chosen: planned.chosen } : {}), plan: planned.plan },
      null,
      executed ? 0 : 2,
    );
  if (!executed) return renderPlanned(planned);
  if (executed.strategy === 'rds')
    return `replaced RDS replica ${executed.replicaId}${executed.result.newEndpoint ? `; endpoint ${executed.result.newEndpoint}` : ''}`;
  const r = executed.result;
  const what = executed.strategy === 'physical' ? 'from its data files' : `${r.rowsCopied} rows`;
  return `rebuilt ${planned.strategy === 'rds' ? '' : planned.plan.replica} in ${r.seconds.toFixed(1)} s: ${what}, GTID ${r.gtidPosition}, ${r.checksums.length} table checksums equal`;
}

/** A rebuild that did not finish, told in lines (runbooks/errors.ts `unfinished`): exit 1 refused, 2 stopped or failed. */
function reportUnfinished(e: unknown, replica: string, io: Io): number {
  const u = unfinished(e, replica);
  if (!u) throw e;
  io.err(`replwatch: ${u.message}`);
  if (u.resume) io.err(`replwatch: fix the cause, then continue it with: ${u.resume}`);
  if (u.resume && passwordNote(u.resume)) io.err(`replwatch:${passwordNote(u.resume)}`);
  if (u.paging) io.err(`replwatch: ${u.paging.text}`);
  return u.outcome === 'refused' ? 1 : 2;
}

/**
 * Ctrl-C (or a kill) while a rebuild runs: the rebuild fails at its next statement to the replica,
 * so it is recorded, paged and printed with its --resume like any failure, its lease ended; a
 * second one quits at once (the lease then lapses by itself, and the monitor pages it).
 */
function interruptible(io: Io): { signal: AbortSignal; refuseIfInterrupted: () => void; done: () => void } {
  const controller = new AbortController();
  const on = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(128 + (sig === 'SIGINT' ? 2 : 15));
    io.err(`replwatch: ${sig}: stopping the rebuild at its next statement, leaving the replica stopped and resumable (again to quit at once)`);
    controller.abort(`interrupted by ${sig}`);
  };
  process.on('SIGINT', on);
  process.on('SIGTERM', on);
  return {
    signal: controller.signal,
    refuseIfInterrupted: () => {
      if (controller.signal.aborted) throw new RunbookRefusal(`${String(controller.signal.reason)} before anything was written`);
    },
    done: () => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
    },
  };
}

async function runRebuild(o: Options, io: Io, setCode: (c: number) => void): Promise<void> {
  checkOptions(o);
  const configFile = configFileFrom(o.config);
  const stateFile = stateFileFrom(o.state, configFile);
  const config = await loadConfig(configFile);
  const renderer = new ProgressRenderer({
    tty: io.tty && Boolean(process.stderr.isTTY),
    write: (t) => process.stderr.write(t),
    progressLine: (l) => io.err(l),
    stepLine: (l) => io.out(l),
  });
  // A plan only reads: Ctrl-C ends it as it ends any command.
  const interrupt = o.execute ? interruptible(io) : undefined;
  const request = {
    cluster: o.cluster,
    replica: o.replica,
    donor: o.donor,
    strategy: o.strategy,
    execute: Boolean(o.execute),
    resume: Boolean(o.resume),
    force: Boolean(o.force),
    admin: { user: o.user, password: o.password },
    ...(io.tty && process.stdin.isTTY ? { confirmHealthy: askForName(io) } : {}),
    ...(o.lease ? { leaseMs: o.lease } : {}),
    ...(interrupt ? { approve: interrupt.refuseIfInterrupted } : {}),
    commands: commandStyle({ configFile, stateFile }),
    sinks: localSinks(config, configFile, io),
  };
  const execution = {
    workers: o.workers,
    ...(interrupt ? { signal: interrupt.signal } : {}),
    onEvent: (e: RebuildEvent) => (o.json ? io.out(JSON.stringify(e)) : renderer.onEvent(e)),
  };
  try {
    const outcome = await rebuildReplica({
      config,
      request,
      secrets: new SecretResolver(),
      store: new FileStore(stateFile, undefined, { readOnly: !o.execute }),
      execution,
    });
    io.out(outcomeText(outcome, o.json));
  } catch (e) {
    setCode(reportUnfinished(e, o.replica, io));
  } finally {
    interrupt?.done();
  }
}

/** `replwatch runbook rebuild-replica`: the plan by default; `--execute` rebuilds. */
export function registerRunbook(program: Command, io: Io, setCode: (c: number) => void): void {
  const runbook = program.command('runbook').description('hand-run repairs that pages point to');
  runbook
    .command('rebuild-replica')
    .description('rebuild a replica from its primary (or --donor): prints the plan; --execute runs it')
    .option(...CONFIG_OPTION)
    .requiredOption('--cluster <name>', 'the cluster')
    .requiredOption('--replica <name>', 'the replica to rebuild (never the primary)')
    .option('--donor <name>', 'copy from this healthy replica instead of the primary')
    .option('--execute', 'rebuild: stop, copy, re-point and verify the replica')
    .option('--resume', 'with --execute: continue a rebuild that stopped unfinished, from its checkpoint')
    .option('--force', 'with --execute: rebuild a healthy replica without asking, or start a dead rebuild over')
    .option('--user <user>', "an account that may stop replication and load data (default: the cluster's admin)")
    .option('--password <ref>', 'with --user: its password, a literal, env:NAME, ssm:/path or secret:ARN')
    .option('--workers <n>', `tables copied at once (1 to ${MAX_WORKERS})`, countOption(1, MAX_WORKERS), DEFAULT_WORKERS)
    .addOption(
      new Option(
        '--strategy <name>',
        'auto (physical where the donor and the replica have agents, else logical), logical (copy over SQL; MariaDB), physical (stream the data files with mariabackup through the agents) or rds (replace an RDS read replica, keeping its endpoint)',
      )
        .choices(['auto', 'logical', 'physical', 'rds'])
        .default('auto'),
    )
    .option(
      '--lease <duration>',
      'how long the rebuild lock outlives a run that stopped renewing it (killed, crashed), e.g. 60s',
      durationOption(1000, 'the lease is renewed every quarter of it'),
    )
    .option(
      '--state <file>',
      'where the per-cluster rebuild lock and checkpoint live (default: .replwatch/state.json beside the config, which watch and silence share)',
    )
    .option('--json', 'JSON: the plan, or one event per line while executing and the result last')
    .action((o: Options) => runRebuild(o, io, setCode));
}
