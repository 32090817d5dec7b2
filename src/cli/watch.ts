import { Option, type Command } from 'commander';
import { Checker } from '../monitor/checker';
import { pagerFor } from '../monitor/paging';
import { AutoRebuilder } from '../automation/autorebuild';
import { sortFindings, type CheckReport } from '../monitor/report';
import { StoreWatchedPager, type WatchedPaging } from '../monitor/storeOutage';
import { alertKey } from '../alerting/alert';
import type { Finding } from '../model/findings';
import { loadConfig } from '../config/load';
import type { Config } from '../config/schema';
import { SecretResolver } from '../config/secrets';
import { ConsolePageSink, JsonlPageSink, SnsPageSink, type PageSink } from '../sinks/pages';
import { FileStore } from '../state/file';
import { JsonlMetricSink, sampleMetrics } from '../sinks/metrics';
import { sleep } from '../util/deadline';
import { renderReport } from './table';
import type { Io } from './main';
import type { CommandStyle } from '../model/commands';
import { commandStyle, configFileFrom, defaultPagesFile, stateFileFrom } from './paths';
import { countOption, durationOption, SAMPLE_EVERY_MIN_MS, CONFIG_OPTION } from './options';

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
  footer?: () => Promise<string>;
  /** What every printed command carries to reach this config and state (cli/paths.ts). */
  commands?: CommandStyle;
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
  const topic = config.alerts.snsTopicArn;
  if (topic) sinks.push(new SnsPageSink(topic));
  return sinks;
}

/**
 * The sinks, counting what each took since the last summary line. The console prints a PAGE line
 * for each page it takes; the summary must count the same pages: the pager's `sent` holds only
 * pages every sink took, so a page printed while SNS refused it was "0 paged", and pages sent
 * outside the pager (an auto-rebuild's failure page, the state store's outage) not at all.
 */
function tallied(sinks: PageSink[]): { sinks: PageSink[]; summary: () => string } {
  const took = new Map(sinks.map((s) => [s.name, new Set<string>()]));
  const counted = sinks.map(
    (s): PageSink => ({
      name: s.name,
      send: async (page) => {
        await s.send(page);
        took.get(s.name)!.add(`${page.key} ${page.kind} ${page.at}`);
      },
    }),
  );
  const summary = () => {
    const pages = new Set([...took.values()].flatMap((t) => [...t]));
    // A sink by its kind (jsonl, not its file's whole path): one watch has one of each.
    const each = [...took].map(([name, t]) => `${name.replace(/:.*/, '')} ${t.size}`);
    const even = [...took.values()].every((t) => t.size === pages.size);
    for (const t of took.values()) t.clear();
    return `${pages.size} paged${even ? '' : ` (${each.join(', ')})`}`;
  };
  return { sinks: counted, summary };
}

/**
 * Everything wrong this sample: the checks' findings, those the pager read from the state (a
 * rebuild that died: RebuildFailed), and the state store's own outage. The table and the counts
 * show all of them, paged or not.
 */
export function findingsOf(sampled: Finding[], paging: Pick<WatchedPaging, 'fromState' | 'unreadable'>): Finding[] {
  const seen = new Set(sampled.map(alertKey));
  const extra = [...(paging.fromState ?? []), ...(paging.unreadable ? [paging.unreadable] : [])].filter((f) => !seen.has(alertKey(f)));
  return extra.length > 0 ? sortFindings([...sampled, ...extra]) : sampled;
}

/**
 * `N critical, N warning` of a sample: every finding by its severity, whatever paging did with it,
 * and of each how many were held (silenced, inhibited, undecided), so that a critical that is
 * firing is never hidden by being held: `1 critical (1 held), 0 warning`.
 */
export function severityCounts(findings: Finding[], held: ReadonlyMap<string, string>): string {
  return (['critical', 'warning'] as const)
    .map((sev) => {
      const of = findings.filter((f) => f.severity === sev);
      const heldOf = of.filter((f) => held.has(alertKey(f))).length;
      return `${of.length} ${sev}${heldOf > 0 ? ` (${heldOf} held)` : ''}`;
    })
    .join(', ');
}

/**
 * Samples every `everyMs` (reusing connections), pages transitions, and redraws a live table of
 * every target with its alert state, until Ctrl-C or `samples`. Shared by `watch` and `start`.
 */
export async function runWatch(o: WatchOptions): Promise<void> {
  const recent: string[] = [];
  const checker = new Checker(o.config, { ...(o.commands ? { commands: o.commands } : {}) });
  const secrets = new SecretResolver();
  const store = new FileStore(o.stateFile, (line) => {
    recent.push(`${new Date().toISOString()} ${line}`);
    o.io.err(line);
  });
  const { sinks, summary } = tallied(localSinks(o.config, o.pagesFile, o.io, recent));
  const metrics = o.metricsFile ? new JsonlMetricSink(o.metricsFile) : undefined;
  // Rebuilds that died half-way page from the same store, inside its outage watch.
  const pager = new StoreWatchedPager(
    pagerFor({ config: o.config, store, sinks, secrets, deadRebuilds: true, ...(o.commands ? { commands: o.commands } : {}) }),
    o.stateFile,
    o.config,
    sinks,
    secrets,
  );
  const rebuilder = new AutoRebuilder({
    config: o.config,
    secrets,
    store,
    log: (line) => {
      recent.push(`${new Date().toISOString()} ${line}`);
      o.io.err(line);
    },
    sinks,
    ...(o.commands ? { commands: o.commands } : {}),
  });
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
      // A state file that cannot be read or written is a finding of the sample, paged without it.
      const paging = await pager.process(sample.findings, now);
      const findings = findingsOf(sample.findings, paging);
      for (const f of paging.failed) o.io.err(`page not delivered to ${f.sinks.join(', ')} (will retry): ${f.errors.join('; ')}`);
      const pages = { sent: paging.sent.length, failed: paging.failed.length + (paging.unreadable ? 1 : 0) };
      await metrics?.put(sampleMetrics(sample, now, Date.now() - started, pages)).catch((e: Error) => o.io.err(`metrics not written: ${e.message}`));
      await rebuilder.consider(paging.sent, now);
      if (o.io.tty) {
        const report: CheckReport = { checkedAt: now.toISOString(), findings, observations: sample.observations };
        const held = [...paging.held].map(([key, why]) => `  ${key}: ${why}`);
        const screen = [
          renderReport(report, true),
          ...(held.length ? ['', 'Not paged:', ...held] : []),
          '',
          `Recent pages (${o.pagesFile}):`,
          ...(recent.length ? recent.map((l) => `  ${l}`) : ['  none']),
          ...(o.footer ? ['', await o.footer()] : []),
        ].join('\n');
        o.io.out(`\x1b[2J\x1b[H${screen}`);
      } else {
        // Not a terminal (a log, a pipe): one line per sample instead of a redrawn table.
        o.io.out(`${now.toISOString()} sample ${n + 1}: ${severityCounts(findings, paging.held)}, ${summary()}, ${paging.held.size} held`);
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

const everyParser = durationOption(SAMPLE_EVERY_MIN_MS, 'sampling more often would hammer the servers watched');

/** `--every` of `watch` and `start`, which differ only in the default. */
export const everyOption = (defaultMs: number): Option =>
  new Option('--every <duration>', 'time between samples, e.g. 1s, 500ms').argParser(everyParser).default(defaultMs, `${defaultMs / 1000}s`);

/** `--samples` of `watch` and `start`. */
export const SAMPLES_OPTION = ['--samples <n>', 'stop after this many samples (default: until Ctrl-C)', countOption(1)] as const;

export function registerWatch(program: Command, io: Io): void {
  program
    .command('watch')
    .description('monitor continuously: live table, one page per alert transition (console, JSONL, SNS)')
    .option(...CONFIG_OPTION)
    .addOption(everyOption(5000))
    .option('--state <file>', 'alert state, JSON, shared safely by several watchers (default: .replwatch/state.json beside the config)')
    .option('--pages <file>', 'every page, one JSON object per line (default: .replwatch/pages.jsonl beside the config)')
    .option('--metrics <file>', "also write each sample's CloudWatch metrics here, one JSON datum per line")
    .option(...SAMPLES_OPTION)
    .action(async (opts: { config?: string; every: number; state?: string; pages?: string; metrics?: string; samples?: number }) => {
      const configFile = configFileFrom(opts.config);
      const stateFile = stateFileFrom(opts.state, configFile);
      await runWatch({
        config: await loadConfig(configFile),
        everyMs: opts.every,
        stateFile,
        pagesFile: opts.pages ?? defaultPagesFile(configFile),
        commands: commandStyle({ configFile, stateFile }),
        metricsFile: opts.metrics,
        samples: opts.samples,
        io,
      });
    });
}
