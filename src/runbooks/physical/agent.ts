import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Readable, Writable } from 'node:stream';
import { DEFAULT_STREAM_PORT } from '../../config/schema';
import { RunbookRefusal } from '../errors';

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

/**
 * A host step still running when this run had to stop waiting (a Lambda invocation about to end):
 * the next run waits for the same command rather than starting the step again.
 */
export class HostStepPending extends Error {
  override name = 'HostStepPending';
  constructor(
    readonly step: string,
    readonly where: string,
    readonly commandId: string,
  ) {
    super(`${step} is still running on ${where} (command ${commandId})`);
  }
}

/** How a step is run and waited for. */
export interface RunOptions {
  timeoutMs: number;
  /** Written to its stdin (a password, never argv); only an agent whose steps run here takes one. */
  input?: string;
  /** Aborted: the step is stopped (a child killed, an SSM command cancelled) and fails. */
  signal?: AbortSignal;
  /** A command an earlier run started for this step, which may still be running: waited for, not sent again. */
  inflight?: string;
  /** Told a command's id as soon as it is sent, before waiting on it, so a later run can find it. */
  sent?: (commandId: string) => Promise<void>;
  /** Asked while waiting: true ends the wait with HostStepPending, the step left running. */
  shouldPause?: () => boolean;
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
  /** Runs a step to its end within `timeoutMs`: its stdout, or a HostStepError. */
  run(step: string, args: string[], o: RunOptions): Promise<string>;
  /**
   * Starts a step that streams, its stdin and stdout open to this process: only an agent whose
   * steps run here has it. Between two such agents the backup passes through this process;
   * otherwise it crosses from host to host over TCP (host-steps.sh send | listen).
   */
  start?(step: string, args: string[], o: { input?: string }): StreamingStep;
  /** The port a stream to this host arrives on. */
  readonly streamPort: number;
}

/** The last lines of stderr, enough to say why, never a flood. */
const TAIL = 2000;
export const tail = (text: string) => text.trim().split('\n').slice(-6).join(' | ').slice(-TAIL);

/**
 * `agent: local`: the steps run on this machine as child processes, as this user. A laptop or a
 * bastion that is the database host, and the sandbox.
 */
export class LocalAgent implements HostAgent {
  readonly where = 'local';
  readonly streamPort = DEFAULT_STREAM_PORT;

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

  async run(step: string, args: string[], o: RunOptions): Promise<string> {
    o.signal?.throwIfAborted();
    const { child, stderr, done } = this.spawn(step, args);
    const abort = () => child.kill('SIGKILL');
    o.signal?.addEventListener('abort', abort, { once: true });
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
      o.signal?.removeEventListener('abort', abort);
    }
  }

  start(step: string, args: string[], o: { input?: string }): StreamingStep {
    const { child, done } = this.spawn(step, args);
    if (o.input !== undefined) child.stdin!.write(`${o.input}\n`);
    return { stdout: child.stdout!, stdin: child.stdin!, done, kill: () => child.kill('SIGKILL') };
  }
}

/**
 * Where a donor's host reads the backup's password itself: an SSM command's parameters are kept in
 * its history, so only a reference its instance role can read (ssm:, secret:) may go there.
 */
export function remotePasswordSource(password: string, where: string): string {
  if (/^(ssm|secret):/.test(password)) return password;
  throw new RunbookRefusal(
    `the donor's agent (${where}) reads the backup's password on its host, so the admin password must be an ssm:/path or secret:ID reference its instance role can read, not ${/^env:/.test(password) ? 'an env: reference' : 'a literal'}; nothing was changed`,
  );
}
