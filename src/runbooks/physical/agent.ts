import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Readable, Writable } from 'node:stream';
import type { ServerConfig } from '../../config/schema';

/** The one script of host steps (host-steps.sh): what every agent runs on a database host. */
export const HOST_STEPS = fileURLToPath(new URL('./host-steps.sh', import.meta.url));

/** A host step that failed: which, where, its exit, and the tail of what it said on stderr. */
export class HostStepError extends Error {
  override name = 'HostStepError';
  constructor(
    readonly step: string,
    readonly where: string,
    readonly stderrTail: string,
    why: string,
  ) {
    super(`${step} on ${where} ${why}${stderrTail ? `: ${stderrTail}` : ''}`);
  }
}

/** A step whose output or input is a stream (the backup, its extraction): running until `done`. */
export interface StreamingStep {
  stdout: Readable;
  stdin: Writable;
  done: Promise<void>;
  kill(): void;
}

/** Where a server's host steps run. */
export interface HostAgent {
  /** As a person reads it in a plan or an error: `local` or `ssm i-...`. */
  readonly where: string;
  /** Runs a step to its end within `timeoutMs`: its stdout, or a HostStepError. `input` goes to its stdin (a password, never argv). */
  run(step: string, args: string[], o: { timeoutMs: number; input?: string }): Promise<string>;
  /** Starts a step that streams: its stdin and stdout stay open to the caller. */
  start(step: string, args: string[], o: { input?: string }): StreamingStep;
}

/** The last lines of stderr, enough to say why, never a flood. */
const TAIL = 2000;
const tail = (text: string) => text.trim().split('\n').slice(-6).join(' | ').slice(-TAIL);

/**
 * `agent: local`: the steps run on this machine as child processes, as this user. A laptop or a
 * bastion that is the database host, and the sandbox.
 */
export class LocalAgent implements HostAgent {
  readonly where = 'local';

  private spawn(step: string, args: string[]): { child: ChildProcess; stderr: () => string; done: Promise<void> } {
    const child = spawn('bash', [HOST_STEPS, step, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    // A step that exits without reading its stdin (a refusal, a step that takes none) closes the pipe: its exit says why.
    child.stdin!.on('error', () => undefined);
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-8 * TAIL);
    });
    const done = new Promise<void>((resolve, reject) => {
      child.on('error', (e) => reject(new HostStepError(step, this.where, '', `could not start (${e.message})`)));
      child.on('close', (code, signal) => {
        if (code === 0) resolve();
        else reject(new HostStepError(step, this.where, tail(err), signal ? `was killed (${signal})` : `failed (exit ${code})`));
      });
    });
    return { child, stderr: () => err, done };
  }

  async run(step: string, args: string[], o: { timeoutMs: number; input?: string }): Promise<string> {
    const { child, stderr, done } = this.spawn(step, args);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stdin!.end(o.input === undefined ? '' : `${o.input}\n`);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new HostStepError(step, this.where, tail(stderr()), `did not finish within ${Math.round(o.timeoutMs / 1000)} s`));
      }, o.timeoutMs);
    });
    try {
      await Promise.race([done, timedOut]);
      return out.trim();
    } finally {
      clearTimeout(timer);
    }
  }

  start(step: string, args: string[], o: { input?: string }): StreamingStep {
    const { child, done } = this.spawn(step, args);
    if (o.input !== undefined) child.stdin!.write(`${o.input}\n`);
    return { stdout: child.stdout!, stdin: child.stdin!, done, kill: () => child.kill('SIGKILL') };
  }
}

/**
 * The agent a server's config names, or why it has none the physical strategy can use: an SSM
 * agent is configured as `agent: { ssm: i-... }` but its Run Command transport is not built yet.
 */
export function agentFor(s: ServerConfig): HostAgent | string {
  if (s.agent === 'local') return new LocalAgent();
  if (s.agent) return `${s.name}'s agent (ssm ${s.agent.ssm}) cannot run the physical steps yet: only agent: local can`;
  return `${s.name} has no agent (add agent: local, or agent: { ssm: INSTANCE_ID }, to its entry in the config)`;
}
