import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { open, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { parse, stringify } from 'yaml';
import { snsFor } from '../aws/clients';
import { Checker } from '../monitor/checker';
import { loadConfig } from '../config/load';
import { SecretResolver } from '../config/secrets';
import { sleep } from '../util/deadline';
import { deadManAlarm, evaluateDeadMan, type Datapoint, type DeadManAlarm } from './deadman';
import { FakeSns, type ReceivedPage } from './fakeSns';
import { drillAwsEnv, Monitor, REPLWATCH_BIN } from './monitor';
import { printedProgram } from '../util/printed';
import { sandboxDown, sandboxUp } from '../sandbox/sandbox';
import { selectScenarios, type DrillContext, type Scenario } from './scenarios';
import { score, type ScenarioRun, type Scorecard } from './scorecard';

const run = promisify(execFile);

/** The drill's CloudWatch periods are this much shorter than serverless.yml's (60 s -> 2 s). */
export const DEAD_MAN_TIME_SCALE = 30;
const TOPIC = 'arn:aws:sns:us-east-1:000000000000:replwatch-gameday';
const SERVERLESS_YML = new URL('../../serverless.yml', import.meta.url);

export interface DrillOptions {
  scenarios?: string[];
  /** Where the drill's own sandbox lives; a fresh temporary directory by default. */
  dir?: string;
  /** Seconds of healthy topology watched before the first fault: any page then is a false page. */
  baselineSeconds?: number;
  log?: (line: string) => void;
}

export interface Series {
  label: string;
  unit: 's' | '%';
  points: Array<[number, number]>;
}

/** Everything the report draws: what was measured, when each fault was made, every page. */
export interface Timeline {
  from: number;
  to: number;
  lag: Series[];
  loss: Series[];
  faults: ScenarioRun[];
  pages: ReceivedPage[];
}

export interface DrillResult {
  scorecard: Scorecard;
  timeline: Timeline;
  seconds: number;
}

/**
 * The game day: a sandbox of its own, the real monitor watching it every second and paging
 * through a local SNS endpoint, the dead-man alarm applied to the monitor's metrics, then each
 * scenario (break, wait for the page, repair, wait for the resolve, restore). Scored from the
 * pages that reached the endpoint.
 */
export async function runDrill(o: DrillOptions = {}): Promise<DrillResult> {
  const scenarios = selectScenarios(o.scenarios);
  const log = o.log ?? (() => undefined);
  const started = Date.now();
  const sandbox = await sandboxUp({ dir: o.dir ?? mkdtempSync(join(tmpdir(), 'replwatch-gameday-')), ownerPid: process.pid, log });
  const sns = new FakeSns();
  let monitor: Monitor | undefined;
  let deadMan: DeadManWatch | undefined;
  try {
    const endpoint = await sns.start();
    const configFile = join(sandbox.dir, 'gameday.yml');
    await writeFile(configFile, drillConfig(await readFile(sandbox.configFile, 'utf8')), { mode: 0o600 });
    const files = {
      config: configFile,
      state: join(sandbox.dir, 'state.json'),
      pages: join(sandbox.dir, 'pages.jsonl'),
      metrics: join(sandbox.dir, 'metrics.jsonl'),
      log: join(sandbox.dir, 'monitor.log'),
    };
    monitor = new Monitor(files, endpoint);
    const alarm = deadManAlarm(readFileSync(SERVERLESS_YML, 'utf8'), 'gameday');
    deadMan = new DeadManWatch(alarm, files.metrics, endpoint);
    const checker = new Checker(await loadConfig(configFile));
    const secrets = new SecretResolver();
    const ctx: DrillContext = {
      sandbox,
      sns,
      monitor,
      deadMan: alarm,
      runFix: (page) => runFix(page, join(sandbox.dir, 'runbook.log'), drillAwsEnv(endpoint)),
      startRebuild: (args) => startRebuild(args, files, drillAwsEnv(endpoint)),
      until,
    };
    try {
      monitor.start();
      await until('the monitor to report for a whole dead-man window', () => deadMan!.reportingForWholeWindow(), 30_000);
      deadMan.arm();
      const baseline = { from: Date.now(), to: 0 };
      log(`baseline: ${o.baselineSeconds ?? 6} s of a healthy topology`);
      await sleep((o.baselineSeconds ?? 6) * 1000);
      baseline.to = Date.now();
      const runs: ScenarioRun[] = [];
      for (const s of scenarios) runs.push(await runScenario(s, ctx, () => healthy(checker, secrets), log));
      const scorecard = score(runs, baseline, sns.publishes, sns.received());
      await monitor.stop();
      const timeline = await readTimeline(files.metrics, runs, sns.received(), started);
      return { scorecard, timeline, seconds: (Date.now() - started) / 1000 };
    } finally {
      await checker.close();
    }
  } finally {
    deadMan?.stop();
    await monitor?.stop();
    await sns.stop();
    await sandboxDown(sandbox.dir);
  }
}

/** One scenario: check health, break, wait for the page, repair, wait for the resolve, always restore. */
export async function runScenario(
  s: Scenario,
  ctx: DrillContext,
  healthy: () => Promise<string[]>,
  log: (line: string) => void,
  healthyTimeoutMs = 30_000,
): Promise<ScenarioRun> {
  const expected = s.expected(ctx);
  const alsoExpected = s.alsoExpected?.(ctx) ?? [];
  const base = { name: s.name, fault: s.fault, expected, ...(alsoExpected.length ? { alsoExpected } : {}) };
  const incidents = [expected, ...alsoExpected];
  const skipped = s.unavailable?.(ctx);
  if (skipped) {
    log(`${s.name}: skipped (${skipped})`);
    const now = Date.now();
    return { ...base, injectedAt: now, recoverAt: now, endedAt: now, skipped };
  }
  const problems = await waitHealthy(healthy, healthyTimeoutMs);
  const r: ScenarioRun = { ...base, injectedAt: Date.now(), recoverAt: 0, endedAt: 0 };
  if (problems.length) {
    r.recoverAt = r.endedAt = Date.now();
    r.error = `the topology was not healthy before the fault: ${problems.join('; ')}`;
    log(`${s.name}: ${r.error}`);
    return r;
  }
  const page = (kind: 'firing' | 'resolved', from: () => number) => (i: { code: string; target: string }) =>
    ctx.sns.received().find((p) => p.at >= from() && p.kind === kind && p.code === i.code && p.target === i.target);
  const firing = page('firing', () => r.injectedAt);
  const resolved = page('resolved', () => r.recoverAt);
  const names = incidents.map((i) => `${i.code} ${i.target}`).join(', ');
  try {
    log(`${s.name}: ${s.fault}`);
    await s.inject(ctx);
    await until(`pages for ${names}`, () => incidents.every((i) => firing(i) !== undefined), s.detectTimeoutMs ?? 30_000).catch(() => undefined);
    r.recoverAt = Date.now();
    await s.recover(ctx, firing(expected));
    await until(`${names} to resolve`, () => incidents.every((i) => resolved(i) !== undefined), s.resolveTimeoutMs ?? 45_000).catch(() => undefined);
  } catch (e) {
    r.error = (e as Error).message.split('\n')[0];
    log(`${s.name}: ${r.error}`);
  } finally {
    r.recoverAt ||= Date.now();
    await s.restore(ctx).catch((e: Error) => {
      r.error ??= `restore failed: ${e.message}`;
    });
  }
  // Pages that follow (a stray resolve, a late repeat) still belong to this scenario.
  await quiet(ctx, 2500, 20_000);
  r.endedAt = Date.now();
  log(`${s.name}: ${incidents.every((i) => firing(i)) ? 'paged' : 'NOT paged'}, ${incidents.every((i) => resolved(i)) ? 'resolved' : 'NOT resolved'}`);
  return r;
}

/** Waits until no page has arrived for `quietMs` (at most `maxMs`). */
async function quiet(ctx: DrillContext, quietMs: number, maxMs: number): Promise<void> {
  const deadline = Date.now() + maxMs;
  for (;;) {
    const last = ctx.sns.publishes.at(-1)?.at ?? 0;
    if (Date.now() - last >= quietMs || Date.now() > deadline) return;
    await sleep(100);
  }
}

async function healthy(checker: Checker, secrets: SecretResolver): Promise<string[]> {
  const sample = await checker.sample(secrets);
  return sample.findings.filter((f) => f.severity !== 'info').map((f) => `${f.code} ${f.target}`);
}

async function waitHealthy(healthy: () => Promise<string[]>, timeoutMs = 30_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const problems = await healthy();
    if (problems.length === 0 || Date.now() > deadline) return problems;
    await sleep(500);
  }
}

async function until(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(100);
  }
}

/** The sandbox's config, paging to the drill's SNS topic. */
function drillConfig(sandboxYml: string): string {
  const doc = parse(sandboxYml) as Record<string, unknown>;
  return stringify({ ...doc, alerts: { ...(doc.alerts as object), snsTopicArn: TOPIC } });
}

/**
 * Runs the command a page names as on-call would paste it into a shell, adding only `--execute`: it must reach
 * the drill's config and state by itself (the page carries --config and --state), from anywhere.
 */
async function runFix(page: ReceivedPage, logFile: string, env: NodeJS.ProcessEnv): Promise<void> {
  if (!page.fix!.startsWith(`${printedProgram()} runbook `)) throw new Error(`the page's fix is not a replwatch runbook: ${page.fix}`);
  // The drill's AWS endpoint, as on-call's shell would carry their own credentials: its pages reach the drill.
  const out = await run('sh', ['-c', `${page.fix} --execute`], { timeout: 120_000, cwd: tmpdir(), env: { ...process.env, ...env } }).catch(
    (e: Error & { stdout?: string; stderr?: string }) => {
      throw new Error(`${page.fix} --execute failed: ${(e.stderr || e.message).trim().split('\n').at(-1)}`);
    },
  );
  await writeFile(logFile, `$ ${page.fix} --execute\n${out.stdout}${out.stderr}`, { flag: 'a' });
}

/** A rebuild on the drill's config and state, as on-call would start it; its --json events as they come. */
function startRebuild(args: string[], files: { config: string; state: string }, env: NodeJS.ProcessEnv): ReturnType<DrillContext['startRebuild']> {
  const child = spawn(process.execPath, [REPLWATCH_BIN, 'runbook', 'rebuild-replica', ...args, '--config', files.config, '--state', files.state, '--json'], {
    cwd: tmpdir(),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const events: Array<{ step?: string; status?: string }> = [];
  let buffer = '';
  child.stdout!.on('data', (d: Buffer) => {
    buffer += d.toString('utf8');
    const lines = buffer.split('\n');
    buffer = lines.pop()!;
    for (const line of lines) {
      try {
        events.push(JSON.parse(line) as { step?: string; status?: string });
      } catch {
        // A line that is not an event (the plan's JSON spans several lines) carries no step.
      }
    }
  });
  return { events: () => events, kill: () => child.kill('SIGKILL'), exited: new Promise((r) => child.on('exit', (code) => r(code))) };
}

/**
 * CloudWatch's part in the drill: reads the monitor's metrics as they are written, applies the
 * deployed dead-man alarm to them, and on each change of state notifies the topic as an alarm
 * action does (Subject `ALARM: "name" ...`, the alarm as JSON).
 */
class DeadManWatch {
  private points: Datapoint[] = [];
  private offset = 0;
  private state: 'OK' | 'ALARM' = 'OK';
  private armed = false;
  private readonly timer: NodeJS.Timeout;
  private readonly sns: SNSClient;
  private busy = false;

  constructor(
    private readonly alarm: DeadManAlarm,
    private readonly metricsFile: string,
    endpoint: string,
  ) {
    const env = drillAwsEnv(endpoint);
    this.sns = snsFor(TOPIC, { endpoint, accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! });
    this.timer = setInterval(() => void this.tick(), 250);
  }

  /** Whether the monitor has reported for as long as the alarm looks back (before, missing data is not silence). */
  reportingForWholeWindow(): boolean {
    const window = Math.max(...this.alarm.children.map((c) => ((c.evaluationPeriods + 1) * c.periodSeconds * 1000) / DEAD_MAN_TIME_SCALE));
    const first = this.points[0]?.at;
    return first !== undefined && first <= Date.now() - window;
  }

  /** From now on, evaluate and notify. */
  arm(): void {
    this.armed = true;
  }

  stop(): void {
    clearInterval(this.timer);
    this.sns.destroy();
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      await this.read();
      if (!this.armed) return;
      const now = evaluateDeadMan(this.alarm, this.points, Date.now(), DEAD_MAN_TIME_SCALE);
      if (now === this.state) return;
      await this.notify(now, this.state);
      this.state = now;
    } catch {
      // The endpoint refusing (the paging-channel drill) is retried next tick, as CloudWatch would.
    } finally {
      this.busy = false;
    }
  }

  private async read(): Promise<void> {
    const f = await open(this.metricsFile, 'r').catch(() => undefined);
    if (!f) return;
    try {
      const { bytesRead, buffer } = await f.read({ buffer: Buffer.alloc(1 << 20), position: this.offset });
      const text = buffer.subarray(0, bytesRead).toString('utf8');
      const complete = text.lastIndexOf('\n') + 1;
      this.offset += Buffer.byteLength(text.slice(0, complete));
      for (const line of text.slice(0, complete).split('\n').filter(Boolean)) {
        const d = JSON.parse(line) as { MetricName: string; Dimensions: Array<{ Name: string; Value: string }>; Timestamp: string; Value: number };
        this.points.push({
          metric: d.MetricName,
          dimensions: Object.fromEntries(d.Dimensions.map((x) => [x.Name, x.Value])),
          at: Date.parse(d.Timestamp),
          value: d.Value,
        });
      }
    } finally {
      await f.close();
    }
  }

  private async notify(state: 'OK' | 'ALARM', old: 'OK' | 'ALARM'): Promise<void> {
    const at = new Date().toISOString();
    const message = {
      AlarmName: this.alarm.name,
      AlarmDescription: 'replwatch itself has stopped',
      NewStateValue: state,
      OldStateValue: old,
      NewStateReason: `${this.alarm.children.map((c) => c.name).join(', ')}: ${state === 'ALARM' ? 'no ChecksCompleted' : 'ChecksCompleted again'}`,
      StateChangeTime: at,
      Region: 'US East (N. Virginia)',
    };
    await this.sns.send(
      new PublishCommand({ TopicArn: TOPIC, Subject: `${state}: "${this.alarm.name}" in US East (N. Virginia)`, Message: JSON.stringify(message) }),
      { abortSignal: AbortSignal.timeout(2000) },
    );
  }
}

/** Lag per replica and loss per target, as the monitor published them; faults and pages to mark. */
async function readTimeline(metricsFile: string, faults: ScenarioRun[], pages: ReceivedPage[], from: number): Promise<Timeline> {
  const lag = new Map<string, Series>();
  const loss = new Map<string, Series>();
  const text = await readFile(metricsFile, 'utf8').catch(() => '');
  for (const line of text.split('\n').filter(Boolean)) {
    const d = JSON.parse(line) as { MetricName: string; Dimensions: Array<{ Name: string; Value: string }>; Timestamp: string; Value: number };
    const dim = (n: string) => d.Dimensions.find((x) => x.Name === n)?.Value ?? '';
    const into = d.MetricName === 'ReplicaLagSeconds' ? lag : d.MetricName === 'NetworkLossPercent' ? loss : undefined;
    if (!into) continue;
    const label = d.MetricName === 'ReplicaLagSeconds' ? dim('Replica') : dim('Target');
    if (!into.has(label)) into.set(label, { label, unit: into === lag ? 's' : '%', points: [] });
    into.get(label)!.points.push([Date.parse(d.Timestamp), d.Value]);
  }
  return { from, to: Date.now(), lag: [...lag.values()], loss: [...loss.values()], faults, pages };
}
