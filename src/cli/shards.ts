import type { Command } from 'commander';
import { CONFIG_OPTION } from './options';
import { loadConfig } from '../config/load';
import { CHECKS, shardPlan } from '../dispatch/shards';
import { table } from './table';
import type { Io } from './main';
import { configFileFrom } from './paths';

/**
 * `replwatch shards`: how the deployed dispatcher splits this config into worker runs, computed
 * by the same code, to size `shardSize` before a deploy or find which run checks a target.
 */
export function registerShards(program: Command, io: Io): void {
  program
    .command('shards')
    .description("how dispatch splits the config's targets into worker runs (shardSize, sampleSeconds)")
    .option(...CONFIG_OPTION)
    .option('--json', 'print one JSON document on stdout, nothing else')
    .action(async (o: { config?: string; json?: boolean }) => {
      const config = await loadConfig(configFileFrom(o.config));
      const plan = Object.fromEntries(CHECKS.map((check) => [check, shardPlan(config, check)]));
      if (o.json) {
        io.out(JSON.stringify({ shardSize: config.shardSize, sampleSeconds: config.sampleSeconds, checks: plan }, null, 2));
        return;
      }
      const rows = CHECKS.flatMap((check) =>
        plan[check]!.map((s) => [
          check,
          `${s.index + 1}/${s.count}`,
          String(s.targets.length),
          s.targets.length > 1 ? `${s.targets[0]} .. ${s.targets.at(-1)}` : (s.targets[0] ?? ''),
        ]),
      );
      io.out(table([['CHECK', 'SHARD', 'TARGETS', 'FIRST .. LAST'], ...rows]));
      const runs = rows.length;
      io.out(`\n${runs} worker run(s) a minute (shardSize ${config.shardSize}, sampleSeconds ${config.sampleSeconds})`);
    });
}
