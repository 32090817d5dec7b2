import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The replwatch CLI of this checkout (the drill runs the real monitor, as a process of its own). */
export const REPLWATCH_BIN = fileURLToPath(new URL('../../bin/replwatch.mjs', import.meta.url));

export interface MonitorFiles {
  config: string;
  state: string;
  pages: string;
  metrics: string;
  log: string;
}

/**
 * `replwatch watch --every 1s` on the drill's topology, paging through the drill's SNS endpoint
 * with the real AWS SDK. A process, so that "the monitor stops" is a real kill.
 */
export class Monitor {
  private child?: ChildProcess;

  constructor(
    private readonly files: MonitorFiles,
    private readonly snsEndpoint: string,
    private readonly every = '1s',
  ) {}

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    if (this.running) return;
    const f = this.files;
    const log = openSync(f.log, 'a');
    try {
      this.child = spawn(
        process.execPath,
        [REPLWATCH_BIN, 'watch', '--config', f.config, '--every', this.every, '--state', f.state, '--pages', f.pages, '--metrics', f.metrics],
        {
          stdio: ['ignore', log, log],
          env: { ...process.env, ...drillAwsEnv(this.snsEndpoint) },
        },
      );
    } finally {
      closeSync(log);
    }
  }

  /** SIGKILL: the monitor dies mid-sample, as a crashed or throttled Lambda would. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  /** Ctrl-C: the monitor finishes its sample and closes its connections. */
  async stop(timeoutMs = 10_000): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  }
}

/** AWS SDK settings that send SNS to the drill's endpoint; credentials are dummies it ignores. */
export function drillAwsEnv(snsEndpoint: string): Record<string, string> {
  return { AWS_ENDPOINT_URL_SNS: snsEndpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'gameday', AWS_SECRET_ACCESS_KEY: 'gameday' };
}
