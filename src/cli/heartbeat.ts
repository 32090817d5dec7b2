import type { Command } from 'commander';
import { loadConfig } from '../config/load';
import { SecretResolver } from '../config/secrets';
import { configFileFrom } from './paths';
import { clusterEndpoint, MysqlConnections } from '../mysql/connections';
import { installHeartbeat } from '../heartbeat/install';
import type { Io } from './main';
import { OperatorError } from '../util/errors';
import { countOption } from './options';

export function registerHeartbeat(program: Command, io: Io, setCode: (c: number) => void): void {
  const heartbeat = program.command('heartbeat').description('the pt-heartbeat compatible lag table');
  heartbeat
    .command('install')
    .description("create the heartbeat table and a MySQL EVENT writing it every second on each cluster's primary")
    .option('--config <file>', 'config file (default: $REPLWATCH_CONFIG, else replwatch.yml)')
    .option('--cluster <name>', 'only this cluster')
    .option('--user <user>', 'an account that may CREATE and CREATE EVENT (default: the heartbeat writer, else the monitor account)')
    .option('--password <ref>', 'its password: a literal, env:NAME, ssm:/path or secret:ARN')
    .option('--interval <seconds>', 'seconds between writes', countOption(1), 1)
    .action(async (opts: { config?: string; cluster?: string; user?: string; password?: string; interval: number }) => {
      const configFile = configFileFrom(opts.config);
      const config = await loadConfig(configFile);
      const clusters = config.clusters.filter((c) => !opts.cluster || c.name === opts.cluster);
      if (clusters.length === 0) throw new OperatorError(`no cluster named ${opts.cluster} in ${configFile}`);
      const secrets = new SecretResolver();
      const connections = new MysqlConnections();
      try {
        for (const c of clusters) {
          const table = c.heartbeat?.table;
          if (!table) {
            io.err(`${c.name}: no heartbeat.table configured; skipped`);
            setCode(1);
            continue;
          }
          const user = opts.user ?? c.heartbeat?.user ?? c.user;
          const ref = opts.password ?? c.heartbeat?.password ?? c.password;
          const ep = clusterEndpoint(c, c.primary, user, `install/${c.name}`);
          const conn = await connections.get(ep, () => secrets.resolve(ref));
          const result = await installHeartbeat(conn, table, opts.interval, c.timeoutMs);
          io.out(`${c.name}: table ${result.table} and event ${result.event} installed on ${c.primary.host}:${c.primary.port}`);
          if (result.advice) {
            io.err(`${c.name}: ${result.advice}`);
            setCode(1);
          }
        }
      } finally {
        await connections.closeAll();
      }
    });
}
