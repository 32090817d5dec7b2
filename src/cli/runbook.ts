import type { Command } from 'commander';
import { loadConfig } from '../config/load';
import { SecretResolver } from '../config/secrets';
import { RebuildFailed, type RebuildEvent } from '../runbooks/logical';
import { rebuildReplica } from '../runbooks/rebuild';
import { renderPlan } from '../runbooks/planText';
import { rebuildCommands, resolveTarget, RunbookRefusal } from '../runbooks/target';
import { rebuildRdsReplica, RdsRebuildTimeout } from '../runbooks/rds';
import { RDSClient } from '@aws-sdk/client-rds';
import { SNSClient } from '@aws-sdk/client-sns';
import { SnsPageSink } from '../sinks/pages';
import { rebuildFailedPage } from '../runbooks/failurePage';
import { FileStore } from '../state/file';
import type { Io } from './main';
import { configFileFrom, defaultStateFile } from './paths';

const pct = (n = 0, of = 0) => `${of > 0 ? Math.min(100, Math.round((n / of) * 100)) : 100}%`;

function progressLine(e: RebuildEvent): string {
  if (e.status === 'progress') {
    const bar = '#'.repeat(Math.round(Number.parseInt(pct(e.doneRows, e.allRows), 10) / 5)).padEnd(20, '.');
    return `  [${bar}] ${pct(e.doneRows, e.allRows)} of ~${e.allRows} rows, ETA ${e.etaSeconds} s | ${e.table}: ${e.rows} rows (${pct(e.rows, e.totalRows)} of ~${e.totalRows})`;
  }
  return `${e.status === 'start' ? '->' : 'ok'} ${e.step}`;
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
    .option('--user <user>', "an account that may stop replication and load data (default: the cluster's admin)")
    .option('--password <ref>', 'its password: a literal, env:NAME, ssm:/path or secret:ARN')
    .option('--workers <n>', 'tables copied at once', '4')
    .option('--strategy <name>', 'logical (copy over SQL; MariaDB) or rds (replace an RDS read replica, keeping its endpoint)', 'logical')
    .option('--state <file>', "where the per-cluster rebuild lock and checkpoint live (default: .replwatch/state.json beside the config, which watch and silence share)")
    .option('--json', 'JSON: the plan, or one event per line while executing and the result last')
    .action(async (o: { config?: string; cluster: string; replica: string; donor?: string; execute?: boolean; resume?: boolean; user?: string; password?: string; workers: string; strategy: string; state?: string; json?: boolean }) => {
      const configFile = configFileFrom(o.config);
      const config = await loadConfig(configFile);
      if (o.strategy === 'rds') {
        try {
          const { replica } = resolveTarget(config, o.cluster, o.replica);
          const rdsId = config.clusters.find((c) => c.name === o.cluster)!.replicas.find((r) => r.name === replica.name)!.rdsInstanceId ?? replica.name;
          const result = await rebuildRdsReplica({
            rds: new RDSClient({}),
            replicaId: rdsId,
            execute: Boolean(o.execute),
            onEvent: (e) => (o.json ? io.out(JSON.stringify(e)) : io.out(`${e.status === 'done' ? 'ok' : e.status === 'start' ? '->' : `  ${e.status}`} ${e.step}${e.detail ? `: ${e.detail}` : ''}`)),
          });
          io.out(o.json ? JSON.stringify({ result }) : o.execute ? `replaced RDS replica ${rdsId}${result.newEndpoint ? `; endpoint ${result.newEndpoint}` : ''}` : `To run it: ${rebuildCommands(o.cluster, o.replica).execute} --strategy rds`);
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
      if (o.strategy !== 'logical') throw new Error(`unknown --strategy ${o.strategy}: logical or rds`);
      const onEvent = (e: RebuildEvent) => (o.json ? io.out(JSON.stringify(e)) : e.status === 'progress' ? io.err(progressLine(e)) : io.out(progressLine(e)));
      try {
        const { plan, result } = await rebuildReplica(
          config,
          { cluster: o.cluster, replica: o.replica, donor: o.donor, execute: Boolean(o.execute), resume: Boolean(o.resume), admin: { user: o.user, password: o.password } },
          new SecretResolver(),
          new FileStore(o.state ?? defaultStateFile(configFile)),
          { workers: Number(o.workers), onEvent },
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
        } else if (e instanceof RebuildFailed) {
          io.err(`replwatch: ${e.message}`);
          setCode(2);
          if (config.alerts.snsTopicArn) {
            await new SnsPageSink(new SNSClient({}), config.alerts.snsTopicArn)
              .send(rebuildFailedPage(o.cluster, o.replica, e, new Date()))
              .then(() => io.err('replwatch: paged the failure'), (p: Error) => io.err(`replwatch: the failure page was not delivered: ${p.message}`));
          }
        } else throw e;
      }
    });
}
