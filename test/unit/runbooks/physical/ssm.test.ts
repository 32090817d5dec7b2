import { CancelCommandCommand, GetCommandInvocationCommand, SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { HostStepError, HostStepPending } from '../../../../src/runbooks/physical/agent';
import { encodeArgv, SsmAgent } from '../../../../src/runbooks/physical/ssm';

const ssm = mockClient(SSMClient);
const agent = () => new SsmAgent('i-0abc12345678', 'replwatch-host-steps', 4444, 5);
const notYet = Object.assign(new Error('no invocation yet'), { name: 'InvocationDoesNotExist' });

beforeEach(() => {
  ssm.reset();
  process.env.AWS_REGION = 'us-east-1';
  ssm.on(SendCommandCommand).resolves({ Command: { CommandId: 'cmd-1' } });
});

describe('SsmAgent: a host step through Run Command', () => {
  it("sends replwatch's document with the step's arguments encoded, and waits past a not-yet-visible invocation for its output", async () => {
    ssm
      .on(GetCommandInvocationCommand)
      .rejectsOnce(notYet)
      .resolvesOnce({ Status: 'InProgress' })
      .resolves({ Status: 'Success', ResponseCode: 0, StandardOutputContent: '/var/lib/mysql\n1234\n' });
    const sent: string[] = [];
    const out = await agent().run('service', ['systemctl stop mariadb; echo "$(id)"'], { timeoutMs: 60_000, sent: async (id) => void sent.push(id) });
    expect(out).toBe('/var/lib/mysql\n1234');
    expect(sent).toEqual(['cmd-1']);
    const input = ssm.commandCalls(SendCommandCommand)[0]!.args[0].input;
    expect(input).toMatchObject({ DocumentName: 'replwatch-host-steps', InstanceIds: ['i-0abc12345678'], Parameters: { executionTimeout: ['60'] } });
    // A shell line cannot break out of base64: what the host decodes is exactly the arguments.
    expect(input.Parameters!.argv![0]).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    expect(Buffer.from(input.Parameters!.argv![0]!, 'base64').toString().split('\0')).toEqual(['service', 'systemctl stop mariadb; echo "$(id)"']);
    expect(ssm.commandCalls(GetCommandInvocationCommand)).toHaveLength(3);
  });

  it('a failed command is a HostStepError with its exit and the tail of its stderr', async () => {
    ssm.on(GetCommandInvocationCommand).resolves({ Status: 'Failed', ResponseCode: 1, StandardErrorContent: 'line 1\nhost-steps: no directory /data\n' });
    const e = await agent()
      .run('layout', ['/data'], { timeoutMs: 60_000 })
      .catch((x: Error) => x);
    expect(e).toBeInstanceOf(HostStepError);
    expect((e as Error).message).toBe('layout on ssm i-0abc12345678 failed (exit 1): line 1 | host-steps: no directory /data');
  });

  it('an instance that never picks the command up is named as such', async () => {
    ssm.on(GetCommandInvocationCommand).resolves({ Status: 'TimedOut', StatusDetails: 'DeliveryTimedOut', ResponseCode: -1 });
    await expect(agent().run('tools', [], { timeoutMs: 60_000 })).rejects.toThrow('tools on ssm i-0abc12345678 ended DeliveryTimedOut (command cmd-1)');
  });

  it('waits for the command a run before it sent, instead of sending the step again', async () => {
    ssm.on(GetCommandInvocationCommand, { CommandId: 'cmd-earlier' }).resolves({ Status: 'Success', StandardOutputContent: 'done' });
    expect(await agent().run('prepare', ['mariabackup', '/d.new'], { timeoutMs: 60_000, inflight: 'cmd-earlier' })).toBe('done');
    expect(ssm.commandCalls(SendCommandCommand)).toHaveLength(0);
  });

  it('asked to pause, leaves the command running and names it for the next run', async () => {
    ssm.on(GetCommandInvocationCommand).resolves({ Status: 'InProgress' });
    const e = await agent()
      .run('listen', ['mariabackup', '/d.new', '4444', 'db-r2', '300'], { timeoutMs: 3_600_000, shouldPause: () => true })
      .catch((x: Error) => x);
    expect(e).toBeInstanceOf(HostStepPending);
    expect(e).toMatchObject({ commandId: 'cmd-1', step: 'listen' });
    expect(ssm.commandCalls(CancelCommandCommand)).toHaveLength(0);
  });

  it('aborted, cancels the command and waits for it to end', async () => {
    let cancelled = false;
    ssm.on(CancelCommandCommand).callsFake(() => {
      cancelled = true;
      return {};
    });
    ssm.on(GetCommandInvocationCommand).callsFake(() => ({ Status: cancelled ? 'Cancelled' : 'InProgress' }));
    const stop = new AbortController();
    const run = agent().run('listen', ['mariabackup', '/d.new', '4444', 'db-r2', '300'], { timeoutMs: 3_600_000, signal: stop.signal });
    setTimeout(() => stop.abort(), 30);
    await expect(run).rejects.toThrow('listen on ssm i-0abc12345678 was stopped (command cmd-1 cancelled)');
    expect(ssm.commandCalls(CancelCommandCommand)[0]!.args[0].input).toEqual({ CommandId: 'cmd-1', InstanceIds: ['i-0abc12345678'] });
  });

  it('refused access to the invocation fails at once rather than polling out the step', async () => {
    ssm.on(GetCommandInvocationCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
    await expect(agent().run('tools', [], { timeoutMs: 3_600_000 })).rejects.toThrow(/could not be followed \(command cmd-1: AccessDeniedException/);
  });

  it('a SendCommand refused is the step not sent, with the reason', async () => {
    ssm.on(SendCommandCommand).rejects(Object.assign(new Error('document not found'), { name: 'InvalidDocument' }));
    await expect(agent().run('tools', [], { timeoutMs: 60_000 })).rejects.toThrow(
      'tools on ssm i-0abc12345678 could not be sent (InvalidDocument: document not found)',
    );
  });

  it('takes no stdin: a password goes as a reference the host reads', async () => {
    await expect(agent().run('send', [], { timeoutMs: 60_000, input: 'secret' })).rejects.toThrow(/takes no stdin/);
    expect(ssm.commandCalls(SendCommandCommand)).toHaveLength(0);
  });

  it('encodes arguments NUL-separated', () => {
    expect(Buffer.from(encodeArgv(['a b', '', "c'd"]), 'base64').toString()).toBe("a b\0\0c'd");
  });
});
