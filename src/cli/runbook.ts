import { createInterface } from 'node:readline';
import { Option, type Command } from 'commander';
import { loadConfig } from '../config/load';
import type { Config } from '../config/schema';
import { SecretResolver } from '../config/secrets';
import type { RebuildPlan } from '../runbooks/plan';
import { rebuildReplica } from '../runbooks/rebuild';
import { renderPlan } from '../runbooks/planText';
import { rebuildCommands, resolveTarget } from '../runbooks/target';
import { rebuildRdsReplica } from '../runbooks/rds';
import { rds as rdsClient } from '../aws/clients';
import { ConsolePageSink, JsonlPageSink, SnsPageSink, type PageSink } from '../sinks/pages';
import { FileStore } from '../state/file';
import { OperatorError } from '../util/errors';
import type { Io } from './main';
import { commandStyle, configFileFrom, defaultPagesFile, defaultStateFile } from './paths';
import { countOption, durationOption } from './options';
import { ProgressRenderer } from './rebuildProgress';
import { RunbookRefusal, LeaseLost, RebuildFailed, RdsRebuildTimeout } from '../runbooks/errors';

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
function askForName(io: Io): (plan: RebuildPlan) => Promise<boolean> {
  return (plan) =>
    new Promise((resolve) => {
      io.err(`${plan.replica} is healthy (replicating, no error): a rebuild drops and recopies all of its data. Take it out of the read pool first.`);
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      let answered = false;
      rl.question(`To rebuild ${plan.replica} anyway, type its name: `, (answer) => {
        answered = true;
        rl.close();
        resolve(answer.trim() === plan.replica);
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
  strategy: 'logical' | 'rds';
  lease?: number;
  state?: string;
  json?: boolean;
}

/** `replwatch runbook rebuild-replica`: the plan by default; `--execute` rebuilds. */
export function registerRunbook(program: Command, io: Io, setCode: (c: number) => void): void {
  const runbook = program.command('runbook').description('hand-run repairs that pages point to');
  runbook
    .command('rebuild-replica')
    .description('rebuild a replica from its primary (or --donor): prints the plan; --execute runs it')
    .option('--config <file>', 'config file (default: $REPLWATCH_CONFIG, else replwatch.yml)')
    .requiredOption('--cluster <name>', 'the cluster')
    .requiredOption('--replica <name>', 'the replica to rebuild (never the primary)')
    .option('--donor <name>', 'copy from this healthy replica instead of the primary')
    .option('--execute', 'rebuild: stop, copy, re-point and verify the replica')
    .option('--resume', 'with --execute: continue a rebuild that stopped unfinished, from its checkpoint')
    .option('--force', 'with --execute: rebuild a healthy replica without asking, or start a dead rebuild over')
    .option('--user <user>', "an account that may stop replication and load data (default: the cluster's admin)")
    .option('--password <ref>', 'with --user: its password, a literal, env:NAME, ssm:/path or secret:ARN')
    .option('--workers <n>', `tables copied at once (1 to ${MAX_WORKERS})`, countOption(1, MAX_WORKERS), 4)
    .addOption(new Option('--strategy <name>', 'logical (copy over SQL; MariaDB) or rds (replace an RDS read replica, keeping its endpoint)').choices(['logical', 'rds']).default('logical'))
    .option('--lease <duration>', 'how long the rebuild lock outlives a run that stopped renewing it (killed, crashed), e.g. 60s', durationOption(1000, 'the lease is renewed every quarter of it'))
    .option('--state <file>', "where the per-cluster rebuild lock and checkpoint live (default: .replwatch/state.json beside the config, which watch and silence share)")
    .option('--json', 'JSON: the plan, or one event per line while executing and the result last')
    .action(async (o: Options) => {
      // Every option is checked before anything is read or touched.
      if (o.password !== undefined && o.user === undefined) throw new OperatorError("--password needs --user (the cluster's admin account has its own password in the config)");
      if (o.resume && !o.execute) throw new OperatorError('--resume continues a rebuild: it needs --execute');
      if (o.force && !o.execute) throw new OperatorError('--force is for --execute: the plan never changes anything');
      const configFile = configFileFrom(o.config);
      const config = await loadConfig(configFile);
      const stateFile = o.state ?? defaultStateFile(configFile);
      const commands = commandStyle({ configFile, stateFile });
      if (o.strategy === 'rds') {
        try {
          const { replica } = resolveTarget(config, o.cluster, o.replica);
          const rdsId = config.clusters.find((c) => c.name === o.cluster)!.replicas.find((r) => r.name === replica.name)!.rdsInstanceId ?? replica.name;
          const result = await rebuildRdsReplica({
            rds: await rdsClient(),
            replicaId: rdsId,
            execute: Boolean(o.execute),
            onEvent: (e) => (o.json ? io.out(JSON.stringify(e)) : io.out(`${e.status === 'done' ? 'ok' : e.status === 'start' ? '->' : `  ${e.status}`} ${e.step}${e.detail ? `: ${e.detail}` : ''}`)),
          });
          io.out(o.json ? JSON.stringify({ result }) : o.execute ? `replaced RDS replica ${rdsId}${result.newEndpoint ? `; endpoint ${result.newEndpoint}` : ''}` : `To run it: ${rebuildCommands(o.cluster, o.replica, commands).execute} --strategy rds`);
        } catch (e) {
          if (e instanceof RdsRebuildTimeout) {
            io.err(`replwatch: ${e.message}`);
            setCode(2);
          } else if (e instanceof RunbookRefusal) {
            io.err(`replwatch: refused: ${e.message}`);
            setCode(1);
          } else throw e;
        }
        return;
      }
      const renderer = new ProgressRenderer({
        tty: io.tty && Boolean(process.stderr.isTTY),
        write: (t) => process.stderr.write(t),
        progressLine: (l) => io.err(l),
        stepLine: (l) => io.out(l),
      });
      try {
        const { plan, result } = await rebuildReplica(
          config,
          {
            cluster: o.cluster,
            replica: o.replica,
            donor: o.donor,
            execute: Boolean(o.execute),
            resume: Boolean(o.resume),
            force: Boolean(o.force),
            admin: { user: o.user, password: o.password },
            ...(io.tty && process.stdin.isTTY ? { confirmHealthy: askForName(io) } : {}),
            ...(o.lease ? { leaseMs: o.lease } : {}),
            commands,
            sinks: localSinks(config, configFile, io),
          },
          new SecretResolver(),
          new FileStore(stateFile),
          { workers: o.workers, onEvent: (e) => (o.json ? io.out(JSON.stringify(e)) : renderer.onEvent(e)) },
        );
        if (o.json) {
          io.out(JSON.stringify(result ? { result } : { plan }, null, result ? 0 : 2));
          return;
        }
        if (!result) {
          io.out(renderPlan(plan));
          return;
        }
        io.out(`rebuilt ${plan.replica} in ${result.seconds.toFixed(1)} s: ${result.rowsCopied} rows, GTID ${result.gtidPosition}, ${result.checksums.length} table checksums equal`);
      } catch (e) {
        if (e instanceof RunbookRefusal) {
          io.err(`replwatch: refused: ${e.message}`);
          setCode(1);
        } else if (e instanceof LeaseLost) {
          io.err(`replwatch: stopped at once: ${e.message}; ${o.replica} was left as it is, without cleanup: it is that run's now`);
          setCode(2);
        } else if (e instanceof RebuildFailed) {
          io.err(`replwatch: ${e.message}`);
          if (e.resume) io.err(`replwatch: fix the cause, then continue it with: ${e.resume}`);
          if (e.page?.sent) io.err('replwatch: paged the failure');
          else if (e.page?.held) io.err(`replwatch: the failure was not paged: ${e.page.held}`);
          else if (e.page) io.err(`replwatch: the failure page was not delivered: ${e.page.errors.join('; ')}`);
          setCode(2);
        } else throw e;
      }
    });
}
