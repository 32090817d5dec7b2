import { randomBytes } from 'node:crypto';
import { dynamodb } from '../aws/clients';
import { Option, type Command } from 'commander';
import { FINDING_CODES } from '../model/codes';
import type { Silence } from '../alerting/silence';
import { OperatorError } from '../util/errors';
import { DynamoStore } from '../state/dynamodb';
import { FileStore } from '../state/file';
import type { StateStore } from '../state/store';
import { table } from './table';
import type { Io } from './main';
import { configFileFrom, stateFileFrom } from './paths';
import { loadConfig } from '../config/load';
import { clusterServers, type Config } from '../config/schema';
import { closest } from '../util/suggest';
import { MONITOR_CLUSTER } from '../monitor/storeOutage';
import { durationOption } from './options';

interface StoreOpts {
  config?: string;
  state?: string;
  dynamodbTable?: string;
}

function storeOf(o: StoreOpts, io: Io): StateStore {
  return o.dynamodbTable ? new DynamoStore(dynamodb(), o.dynamodbTable, io.err) : new FileStore(stateFileFrom(o.state, configFileFrom(o.config)), io.err);
}

/** `unknown WHAT NAME in FILE`, with the name most likely meant, else the names there are. */
function unknownName(what: string, name: string, known: string[], configFile: string): OperatorError {
  const best = closest(name, known);
  const hint = best ? `did you mean ${best}?` : known.length ? `known: ${known.join(', ')}` : 'it names none';
  return new OperatorError(`unknown ${what} ${name} in ${configFile}; ${hint} (a silence of a name nothing reports would hold nothing)`);
}

/**
 * A silence's --cluster and --target are names the config gives findings: a cluster, memcache
 * pool or network group (or `replwatch`, the monitor's own), and a server name or host:port in it.
 * A mistyped one would silence nothing while the person believes the pages held.
 */
const MAX_SILENCE_MS = 365 * 86_400_000;

export function checkSilenceNames(config: Config, configFile: string, o: { cluster?: string; target?: string }): void {
  type Group = [string, { targets: string[]; anyHostPort: boolean }];
  const groups = new Map<string, Group[1]>([
    ...config.clusters.map((c) => [c.name, { targets: clusterServers(c).map((s) => s.name), anyHostPort: false }] satisfies Group),
    ...config.memcache.map(
      (p) =>
        [
          p.name,
          { targets: [...(p.nodes ?? []), ...(p.configEndpoint ? [p.configEndpoint] : [])], anyHostPort: p.configEndpoint !== undefined },
        ] satisfies Group,
    ),
    ...config.network.map((g) => [g.name, { targets: [...g.targets, ...Object.keys(g.awsNetworkMonitor?.probes ?? {})], anyHostPort: false }] satisfies Group),
  ]);
  // The monitor's own findings (StateUnreadable...) name the store as their target.
  if (o.cluster === MONITOR_CLUSTER) return;
  if (o.cluster !== undefined && !groups.has(o.cluster)) throw unknownName('cluster', o.cluster, [...groups.keys()], configFile);
  if (o.target === undefined) return;
  const scope = o.cluster !== undefined ? [groups.get(o.cluster)!] : [...groups.values()];
  const targets = [...new Set(scope.flatMap((g) => g.targets))];
  // Nodes an ElastiCache endpoint discovers are known only when it is asked.
  if (targets.includes(o.target) || (scope.some((g) => g.anyHostPort) && /^[^\s:]+:\d+$/.test(o.target))) return;
  throw unknownName(o.cluster !== undefined ? `target (in ${o.cluster})` : 'target', o.target, targets, configFile);
}

const storeOptions = (c: Command) =>
  c
    .option('--config <file>', 'the fleet config, which locates its state (default: $REPLWATCH_CONFIG, else replwatch.yml)')
    .option('--state <file>', 'the state file of `replwatch watch` (default: .replwatch/state.json beside the config)')
    .option('--dynamodb-table <name>', "the deployed functions' state table instead of a file");

/** `replwatch silence add|list|remove`: maintenance windows in the state store. */
export function registerSilence(program: Command, io: Io, setCode: (c: number) => void): void {
  const silence = program.command('silence').description('maintenance windows: findings they match are not paged');
  storeOptions(
    silence
      .command('add')
      .description('silence what matches every given field, from now for --for (or until --until)')
      .option('--cluster <name>', 'a cluster, memcache pool or network group')
      .option('--target <name>', 'a server name or host:port')
      .option('--code <code>', `a finding code (${FINDING_CODES.join(', ')})`)
      .addOption(
        new Option('--for <duration>', 'how long, e.g. 90m, 2h')
          .argParser(durationOption(1000, 'a shorter silence ends before it holds anything'))
          .default(3_600_000, '1h'),
      )
      .option('--until <time>', 'an end time instead, e.g. 2026-11-22T23:00:00Z')
      .requiredOption('--reason <text>', 'why: shown with every held page'),
  ).action(async (o: StoreOpts & { cluster?: string; target?: string; code?: string; for: number; until?: string; reason: string }) => {
    if (o.code && !(FINDING_CODES as readonly string[]).includes(o.code))
      throw new OperatorError(`unknown finding code ${o.code}; codes: ${FINDING_CODES.join(', ')}`);
    if (!o.cluster && !o.target && !o.code)
      throw new OperatorError('name at least one of --cluster, --target, --code (a silence of everything would hide every page)');
    const configFile = configFileFrom(o.config);
    checkSilenceNames(await loadConfig(configFile), configFile, o);
    const from = new Date();
    const to = o.until ? new Date(o.until) : new Date(from.getTime() + o.for);
    if (o.until && (Number.isNaN(to.getTime()) || to <= from)) throw new OperatorError(`--until must be a future date-time, got ${o.until}`);
    // A --for too large for a date is NaN here, and as much too long as any.
    if (!(to.getTime() - from.getTime() <= MAX_SILENCE_MS)) {
      throw new OperatorError(
        `a silence lasts at most 365 days (${o.until ? `--until ${o.until}` : 'that --for'} is longer): one that outlives its reason hides the next real incident`,
      );
    }
    const s: Silence = {
      id: randomBytes(4).toString('hex'),
      ...(o.cluster ? { cluster: o.cluster } : {}),
      ...(o.target ? { target: o.target } : {}),
      ...(o.code ? { code: o.code } : {}),
      from: from.toISOString(),
      to: to.toISOString(),
      reason: o.reason,
      createdBy: process.env.USER ?? 'unknown',
    };
    await storeOf(o, io).addSilence(s);
    io.out(`silence ${s.id} until ${s.to}`);
  });
  storeOptions(silence.command('list').description('silences in the state store').option('--json', 'print JSON')).action(
    async (o: StoreOpts & { json?: boolean }) => {
      const all = await storeOf(o, io).listSilences();
      if (o.json) io.out(JSON.stringify(all, null, 2));
      else if (all.length === 0) io.out('no silences');
      else
        io.out(
          table([
            ['ID', 'CLUSTER', 'TARGET', 'CODE', 'UNTIL', 'REASON'],
            ...all.map((s) => [s.id, s.cluster ?? '*', s.target ?? '*', s.code ?? (s.exceptCodes ? `* but ${s.exceptCodes.join(', ')}` : '*'), s.to, s.reason]),
          ]),
        );
    },
  );
  storeOptions(silence.command('remove').description('end a silence now').argument('<id>')).action(async (id: string, o: StoreOpts) => {
    const removed = await storeOf(o, io).removeSilence(id);
    io.out(removed ? `silence ${id} removed` : `no silence ${id}`);
    if (!removed) setCode(1);
  });
}
