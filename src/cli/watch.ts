import { SNSClient } from '@aws-sdk/client-sns';
import { Option, type Command } from 'commander';
import { Checker } from '../check/checker';
import { pagerFor } from '../check/paging';
import { AutoRebuilder } from '../check/autorebuild';
import type { CheckReport } from '../check/report';
import { loadConfig } from '../config/load';
import type { Config } from '../config/schema';
import { SecretResolver } from '../config/secrets';
import { ConsolePageSink, JsonlPageSink, SnsPageSink, type PageSink } from '../sinks/pages';
import { FileStore } from '../state/file';
import { JsonlMetricSink, sampleMetrics } from '../sinks/metrics';
import { sleep } from '../util/deadline';
import { renderReport } from './table';
import type { Io } from './main';
import { configFileFrom, defaultPagesFile, defaultStateFile } from './paths';
import { countOption, durationOption, SAMPLE_EVERY_MIN_MS } from './options';

export interface WatchOptions {
  config: Config;
  everyMs: number;
  stateFile: string;
  pagesFile: string;
  /** When set, every sample's metrics as JSON lines (what the Lambdas send to CloudWatch). */
  metricsFile?: string;
  samples?: number;
  io: Io;
  /** Printed under the table on every redraw. */
  footer?: string;
}

/** Sinks for a local watcher: the terminal, a JSONL record, and SNS when the config names a topic. */
function localSinks(config: Config, pagesFile: string, io: Io, recent: string[]): PageSink[] {
  const sinks: PageSink[] = [
    new ConsolePageSink((line) => {
      recent.push(line);
      if (recent.length > 8) recent.shift();
      if (!io.tty) io.out(line);
    }, io.tty),
    new JsonlPageSink(pagesFile),
  ];
  if (config.alerts.snsTopicArn) sinks.push(new SnsPageSink(new SNSClient({ maxAttempts: 1 }), config.alerts.snsTopicArn));
  return sinks;
}

/**
 * Samples every `everyMs` (reusing connections), pages transitions, and redraws a live table of
 * every target with its alert state, until Ctrl-C or `samples`. Shared by `watch` and `start`.
 */
export async function runWatch(o: WatchOptions): Promise<void> {
  const recent: string[] = [];
  const checker = new Checker(o.config);
  const secrets = new SecretResolver();
  const store = new FileStore(o.stateFile);
  const sinks = localSinks(o.config, o.pagesFile, o.io, recent);
  const metrics = o.metricsFile ? new JsonlMetricSink(o.metricsFile) : undefined;
  const pager = pagerFor(o.config, store, sinks, secrets);
  const rebuilder = new AutoRebuilder(
    o.config,
    secrets,
    store,
    (line) => {
      recent.push(`${new Date().toISOString()} ${line}`);
      o.io.err(line);
    },
    async (page) => void (await Promise.allSettled(sinks.map((s) => s.send(page)))),
  );
  let stopping = false;
  const stop = () => {
    stopping = true;
  };
  // A reader that went away (`watch | head`) ends the watching, as SIGPIPE would: nobody reads it.
  const readerGone = (e: NodeJS.ErrnoException) => e.code === 'EPIPE' && stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  process.stdout.on('error', readerGone);
  try {
    for (let n = 0; n < (o.samples ?? Infinity) && !stopping; n++) {
      const started = Date.now();
      const sample = await checker.sample(secrets);
      const now = new Date();
      // Paging failing (a locked or unreadable state file) must not stop the watching.
      const paging = await pager.process(sample.findings, now).catch((e: Error) => {
        o.io.err(`paging failed this sample (the next one tries again): ${e.message}`);
        return { sent: [], failed: [], held: new Map<string, string>(), lostRaces: 0 };
      });
      for (const f of paging.failed) o.io.err(`page not delivered to ${f.sinks.join(', ')} (will retry): ${f.errors.join('; ')}`);
      await metrics?.put(sampleMetrics(sample, now, Date.now() - started, { sent: paging.sent.length, failed: paging.failed.length })).catch((e: Error) => o.io.err(`metrics not written: ${e.message}`));
      await rebuilder.consider(paging.sent, now);
      if (o.io.tty) {
        const report: CheckReport = { checkedAt: now.toISOString(), ...sample };
        const held = [...paging.held].map(([key, why]) => `  ${key}: ${why}`);
        const screen = [
          renderReport(report, true),
          ...(held.length ? ['', 'Not paged:', ...held] : []),
          '',
          `Recent pages (${o.pagesFile}):`,
          ...(recent.length ? recent.map((l) => `  ${l}`) : ['  none']),
          ...(o.footer ? ['', o.footer] : []),
        ].join('\n');
        o.io.out(`\x1b[2J\x1b[H${screen}`);
      } else {
        // Not a terminal (a log, a pipe): one line per sample instead of a redrawn table.
        const count = (sev: string) => sample.findings.filter((f) => f.severity === sev).length;
        o.io.out(`${now.toISOString()} sample ${n + 1}: ${count('critical')} critical, ${count('warning')} warning, ${paging.sent.length} paged, ${paging.held.size} held`);
      }
      const wait = o.everyMs - (Date.now() - started);
      for (let waited = 0; waited < wait && !stopping && n + 1 < (o.samples ?? Infinity); waited += 50) await sleep(Math.min(50, wait - waited));
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    process.stdout.off('error', readerGone);
    await rebuilder.settle();
    await checker.close();
  }
}

/** `--every` of `watch` and `start`. */
export const everyOption = durationOption(SAMPLE_EVERY_MIN_MS, 'sampling more often would hammer the servers watched');

export function registerWatch(program: Command, io: Io): void {
  program
    .command('watch')
    .description('monitor continuously: live table, one page per alert transition (console, JSONL, SNS)')
    .option('--config <file>', 'config file, YAML or JSON (default: $REPLWATCH_CONFIG, else replwatch.yml)')
    .addOption(new Option('--every <duration>', 'time between samples, e.g. 1s, 500ms').argParser(everyOption).default(5000, '5s'))
    .option('--state <file>', 'alert state, JSON, shared safely by several watchers (default: .replwatch/state.json beside the config)')
    .option('--pages <file>', 'every page, one JSON object per line (default: .replwatch/pages.jsonl beside the config)')
    .option('--metrics <file>', 'also write each sample\'s CloudWatch metrics here, one JSON datum per line')
    .option('--samples <n>', 'stop after this many samples (default: until Ctrl-C)', countOption(1))
    .action(async (opts: { config?: string; every: number; state?: string; pages?: string; metrics?: string; samples?: number }) => {
      const configFile = configFileFrom(opts.config);
      await runWatch({
        config: await loadConfig(configFile),
        everyMs: opts.every,
        stateFile: opts.state ?? defaultStateFile(configFile),
        pagesFile: opts.pages ?? defaultPagesFile(configFile),
        metricsFile: opts.metrics,
        samples: opts.samples,
        io,
      });
    });
}
