import type { GetCommandInvocationCommandOutput } from '@aws-sdk/client-ssm';
import { ssm } from '../../aws/clients';
import { sleep } from '../../util/deadline';
import { HostStepError, HostStepPending, tail, type HostAgent, type RunOptions } from './agent';

/** Each Run Command call: an answer within this, or the call failed. */
const CALL_MS = 10_000;
/** How long an instance may take to pick a command up before it counts as not delivered. */
const DELIVERY_SECONDS = 120;
/** Failed polls in a row (throttling, the network) before the wait gives up on the command. */
const POLL_FAILURES = 10;
/** After a cancel, how long the command is waited for to end. */
const CANCEL_WAIT_MS = 60_000;
const FINAL = new Set(['Success', 'Failed', 'Cancelled', 'TimedOut']);

/**
 * The steps as host-steps.sh's arguments in the one parameter of the SSM document: NUL-separated
 * and base64, so no argument (a service command with spaces and quotes) can change the shell
 * line the document builds from it, and the document's allowedPattern admits nothing else.
 */
export const encodeArgv = (argv: string[]): string => Buffer.from(argv.join('\0')).toString('base64');

/**
 * `agent: { ssm: i-... }`: the steps run on an EC2 instance (or a hybrid `mi-` node) through
 * Systems Manager Run Command, as the document serverless.yml deploys (scripts/host-steps-document.cjs:
 * host-steps.sh itself). A step is one SendCommand, then GetCommandInvocation until it ends. A run
 * that must stop waiting (a Lambda invocation about to end) leaves the command running and names
 * it (HostStepPending); the next run waits for that command instead of sending the step again.
 */
export class SsmAgent implements HostAgent {
  readonly where: string;

  constructor(
    private readonly instance: string,
    private readonly document: string,
    readonly streamPort: number,
    private readonly pollMs = 2000,
  ) {
    this.where = `ssm ${instance}`;
  }

  async run(step: string, args: string[], o: RunOptions): Promise<string> {
    if (o.input !== undefined) throw new Error(`${step} on ${this.where}: a Run Command takes no stdin (a password goes as a reference)`);
    let id = o.inflight;
    if (!id) {
      o.signal?.throwIfAborted();
      id = await this.send(step, args, o.timeoutMs);
      await o.sent?.(id);
    }
    return this.wait(step, id, o);
  }

  private async send(step: string, args: string[], timeoutMs: number): Promise<string> {
    const { SendCommandCommand } = await import('@aws-sdk/client-ssm');
    const client = await ssm('paging');
    try {
      const out = await client.send(
        new SendCommandCommand({
          DocumentName: this.document,
          InstanceIds: [this.instance],
          Parameters: { argv: [encodeArgv([step, ...args])], executionTimeout: [String(Math.max(60, Math.ceil(timeoutMs / 1000)))] },
          TimeoutSeconds: DELIVERY_SECONDS,
          Comment: `replwatch host step ${step}`.slice(0, 100),
        }),
        { abortSignal: AbortSignal.timeout(CALL_MS) },
      );
      const id = out.Command?.CommandId;
      if (!id) throw new Error('SendCommand returned no command id');
      return id;
    } catch (e) {
      throw new HostStepError(step, this.where, '', `could not be sent (${(e as Error).name}: ${(e as Error).message})`);
    }
  }

  private async poll(id: string): Promise<GetCommandInvocationCommandOutput | undefined> {
    const { GetCommandInvocationCommand } = await import('@aws-sdk/client-ssm');
    try {
      return await (await ssm('reading')).send(new GetCommandInvocationCommand({ CommandId: id, InstanceId: this.instance }), {
        abortSignal: AbortSignal.timeout(CALL_MS),
      });
    } catch (e) {
      // Right after SendCommand the invocation may not exist yet.
      if ((e as Error).name === 'InvocationDoesNotExist') return undefined;
      throw e;
    }
  }

  private async wait(step: string, id: string, o: RunOptions): Promise<string> {
    // The host's own limit (executionTimeout) ends the command; this one is that plus its delivery.
    const deadline = Date.now() + o.timeoutMs + DELIVERY_SECONDS * 1000;
    let failures = 0;
    for (;;) {
      if (o.signal?.aborted) return this.cancelled(step, id);
      let inv: GetCommandInvocationCommandOutput | undefined;
      try {
        inv = await this.poll(id);
        failures = 0;
      } catch (e) {
        const name = (e as Error).name;
        if (name === 'AccessDeniedException' || name === 'InvalidCommandId' || ++failures >= POLL_FAILURES)
          throw new HostStepError(step, this.where, '', `could not be followed (command ${id}: ${name}: ${(e as Error).message})`);
      }
      if (inv?.Status && FINAL.has(inv.Status)) return this.ended(step, id, inv);
      if (Date.now() > deadline) throw new HostStepError(step, this.where, '', `did not finish within ${Math.round(o.timeoutMs / 1000)} s (command ${id})`);
      if (o.shouldPause?.()) throw new HostStepPending(step, this.where, id);
      await sleep(this.pollMs);
    }
  }

  private ended(step: string, id: string, inv: GetCommandInvocationCommandOutput): string {
    if (inv.Status === 'Success') return (inv.StandardOutputContent ?? '').trim();
    const why =
      inv.Status === 'Failed' && inv.ResponseCode !== undefined && inv.ResponseCode >= 0
        ? `failed (exit ${inv.ResponseCode})`
        : `ended ${inv.StatusDetails ?? inv.Status} (command ${id})`;
    throw new HostStepError(step, this.where, tail(inv.StandardErrorContent ?? ''), why);
  }

  /** Aborted: the command is cancelled on the host and waited for, so nothing of it keeps writing. */
  private async cancelled(step: string, id: string): Promise<never> {
    const { CancelCommandCommand } = await import('@aws-sdk/client-ssm');
    try {
      await (await ssm('control')).send(new CancelCommandCommand({ CommandId: id, InstanceIds: [this.instance] }), {
        abortSignal: AbortSignal.timeout(CALL_MS),
      });
    } catch {
      // Already ended, or not cancellable: the wait below tells.
    }
    const until = Date.now() + CANCEL_WAIT_MS;
    while (Date.now() < until) {
      const inv = await this.poll(id).catch(() => undefined);
      if (inv?.Status && FINAL.has(inv.Status)) break;
      await sleep(this.pollMs);
    }
    throw new HostStepError(step, this.where, '', `was stopped (command ${id} cancelled)`);
  }
}
