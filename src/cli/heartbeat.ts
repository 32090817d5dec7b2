import type { Command } from 'commander';
import { loadConfig } from '../config/load';
import { SecretResolver } from '../config/secrets';
import { configFileFrom } from './paths';
import { clusterEndpoint, MysqlConnections } from '../mysql/connections';
import { installHeartbeat } from '../heartbeat/install';
import type { Io } from './main';
import { OperatorError } from '../util/errors';
import { countOption, CONFIG_OPTION } from './options';
import { EXIT } from '../monitor/report';

/** A server's or the network's answer (access denied, refused, timed out), or a person's mistake: not a bug of replwatch. */
function refusedByServer(e: unknown): e is Error {
  if (e instanceof OperatorError) return true;
  const x = e as { code?: unknown; errno?: unknown; sqlMessage?: unknown };
  return e instanceof Error && (typeof x.code === 'string' || typeof x.errno === 'number' || typeof x.sqlMessage === 'string');
}

const accessDenied = (e: Error) => /_DENIED_ERROR$|^ER_ACCESS_DENIED|^ER_SPECIFIC_ACCESS_DENIED/.test(String((e as { code?: unknown }).code ?? ''));

const oneLine = (e: Error) => e.message.replace(/\s*\n\s*/g, ' ');

export function registerHeartbeat(program: Command, io: Io, setCode: (c: number) => void): void {
  const heartbeat = program.command('heartbeat').description('the pt-heartbeat compatible lag table');
  heartbeat
    .command('install')
    .description("create the heartbeat table and a MySQL EVENT writing it every second on each cluster's primary")
    .option(...CONFIG_OPTION)
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
          const server = `${c.primary.host}:${c.primary.port}`;
          let result;
          try {
            const conn = await connections.get(ep, () => secrets.resolve(ref));
            result = await installHeartbeat(conn, table, opts.interval, c.timeoutMs);
          } catch (e) {
            if (!refusedByServer(e)) throw e;
            io.err(
              `${c.name}: heartbeat not installed on ${server} as ${user}: ${oneLine(e)}${accessDenied(e) ? `; give ${user} CREATE, INSERT, UPDATE and EVENT on ${table.split('.')[0]}, or name an account that has them with --user and --password` : ''}`,
            );
            setCode(EXIT.unknown);
            continue;
          }
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
