import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CancelCommandCommand, GetCommandInvocationCommand, GetParameterCommand, SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import type { Context } from 'aws-lambda';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxDown, sandboxUp, type SandboxState } from '../../src/sandbox/sandbox';
import { cli } from '../support/cli';
import { physicalChecks } from '../support/physical';

/*
 * Systems Manager is replaced, and only it: SendCommand runs the document serverless.yml deploys
 * (scripts/host-steps-document.cjs, host-steps.sh embedded) with `sh` on this machine, as the SSM
 * agent runs it on an instance, and GetCommandInvocation reports that process. Every host step,
 * the TCP stream between the two "hosts" (socat) and the servers are real. The host's own AWS CLI,
 * which reads the backup's password from Parameter Store, is a script that answers that one call.
 */

const ssm = mockClient(SSMClient);
const lambda = mockClient(LambdaClient);
const { document } = createRequire(import.meta.url)('../../scripts/host-steps-document.cjs') as {
  document: { mainSteps: Array<{ inputs: { runCommand: string[] } }>; parameters: { argv: { allowedPattern: string } } };
};
const PARAMETER = '/replwatch/sandbox/admin';
const INSTANCES = { 'sandbox-primary': 'i-0000000000000a001', 'sandbox-r1': 'i-0000000000000a002', 'sandbox-r2': 'i-0000000000000a003' };

interface Invocation {
  child: ChildProcess;
  instance: string;
  step: string;
  out: string;
  err: string;
  code?: number | null;
  cancelled?: boolean;
}
const invocations = new Map<string, Invocation>();

let sb: SandboxState;
let fakeAws: string;
let ssmConfig: string;
const { identicalToPrimary, replicating, primaryUntouched, breakReplica, seed } = physicalChecks(() => sb);

function fakeSsm(): void {
  ssm.on(GetParameterCommand, { Name: PARAMETER }).callsFake(() => ({ Parameter: { Value: sb.password } }));
  ssm.on(SendCommandCommand).callsFake((input) => {
    expect(input.DocumentName).toBe('replwatch-host-steps');
    const [instance] = input.InstanceIds as string[];
    expect(Object.values(INSTANCES)).toContain(instance);
    const argv = input.Parameters.argv[0] as string;
    expect(argv).toMatch(new RegExp(document.parameters.argv.allowedPattern));
    const script = document.mainSteps[0]!.inputs.runCommand.join('\n').replaceAll('{{ argv }}', argv);
    const child = spawn('sh', ['-c', script], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PATH: `${fakeAws}:${process.env.PATH}`, FAKE_PARAMETER_VALUE: sb.password },
    });
    const id = `cmd-${invocations.size + 1}`;
    const inv: Invocation = { child, instance: instance!, step: Buffer.from(argv, 'base64').toString().split('\0')[0]!, out: '', err: '' };
    child.stdout!.on('data', (d) => (inv.out += d));
    child.stderr!.on('data', (d) => (inv.err += d));
    child.on('close', (code) => (inv.code = code));
    invocations.set(id, inv);
    return { Command: { CommandId: id } };
  });
  ssm.on(GetCommandInvocationCommand).callsFake(({ CommandId, InstanceId }) => {
    const inv = invocations.get(CommandId);
    if (!inv || inv.instance !== InstanceId) throw Object.assign(new Error('no such invocation'), { name: 'InvocationDoesNotExist' });
    if (inv.code === undefined) return { Status: 'InProgress', StandardOutputContent: inv.out };
    if (inv.cancelled) return { Status: 'Cancelled', ResponseCode: -1 };
    return { Status: inv.code === 0 ? 'Success' : 'Failed', ResponseCode: inv.code ?? -1, StandardOutputContent: inv.out, StandardErrorContent: inv.err };
  });
  ssm.on(CancelCommandCommand).callsFake(({ CommandId }) => {
    const inv = invocations.get(CommandId)!;
    inv.cancelled = true;
    process.kill(-inv.child.pid!, 'SIGKILL');
    return {};
  });
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });

/** The sandbox's config with every server behind an SSM agent, and the admin password in Parameter Store. */
async function configWithSsmAgents(password: string): Promise<string> {
  const doc = parse(readFileSync(sb.configFile, 'utf8'));
  const cluster = doc.clusters[0];
  const streamPort = await freePort();
  const agent = (name: keyof typeof INSTANCES) => ({ ssm: INSTANCES[name], streamPort });
  cluster.primary.agent = agent('sandbox-primary');
  for (const r of cluster.replicas) r.agent = agent(r.name);
  cluster.admin.password = password;
  const file = join(sb.dir, `ssm-${password.startsWith('ssm:') ? 'ref' : 'literal'}.yml`);
  writeFileSync(file, JSON.stringify(doc));
  return file;
}

function context(budgetMs: number): Context {
  const end = Date.now() + budgetMs;
  return { getRemainingTimeInMillis: () => end - Date.now(), functionName: 'replwatch-test-rebuildReplica', awsRequestId: 'req' } as unknown as Context;
}

beforeAll(async () => {
  sb = await sandboxUp({ dir: mkdtempSync(join(tmpdir(), 'replwatch-test-')), ownerPid: process.pid, agents: true });
  fakeAws = join(mkdtempSync(join(tmpdir(), 'rw-fake-aws-')), 'bin');
  mkdirSync(fakeAws);
  writeFileSync(
    join(fakeAws, 'aws'),
    `#!/bin/sh\n[ "$1 $2 $4 $5" = "ssm get-parameter --name ${PARAMETER}" ] || { echo "fake aws: unexpected call: $*" >&2; exit 2; }\nprintf '%s\\n' "$FAKE_PARAMETER_VALUE"\n`,
  );
  chmodSync(join(fakeAws, 'aws'), 0o755);
  await seed(200_000);
  ssmConfig = await configWithSsmAgents(`ssm:${PARAMETER}`);
  process.env.AWS_REGION = 'us-east-1';
  fakeSsm();
}, 180_000);
afterAll(async () => {
  for (const inv of invocations.values()) if (inv.code === undefined) process.kill(-inv.child.pid!, 'SIGKILL');
  if (sb) await sandboxDown(sb.dir);
});

describe('a physical rebuild through SSM agents (Run Command replaced, everything on the hosts real)', () => {
  it('plans the stream host to host, and refuses an admin password the donor host could only get in the command', async () => {
    const plan = await cli('runbook', 'rebuild-replica', '--config', ssmConfig, '--cluster', 'sandbox', '--replica', 'sandbox-r1', '--strategy', 'physical');
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain('(host to host: 127.0.0.1 sends to 127.0.0.1:');
    expect(plan.stdout).toMatch(/ssm i-0000000000000a00[23]/);

    const literal = await configWithSsmAgents(sb.password);
    const refused = await cli('runbook', 'rebuild-replica', '--config', literal, '--cluster', 'sandbox', '--replica', 'sandbox-r1', '--strategy', 'physical');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('the admin password must be an ssm:/path or secret:ID reference its instance role can read, not a literal');
    expect(refused.stderr).not.toContain(sb.password);
  });

  it('from the Lambda, over many invocations: each waits for the commands the last one left running, none is sent twice, and the replica ends identical', async () => {
    await breakReplica('sandbox-r1', 1);
    process.env.REPLWATCH_CONFIG = ssmConfig;
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'replwatch-test-rebuildReplica';
    delete process.env.STATE_TABLE;
    delete process.env.PAGES_TOPIC_ARN;
    const { handler } = await import('../../functions/rebuildReplica');
    const sentBefore = invocations.size;
    let event: Record<string, unknown> = { cluster: 'sandbox', replica: 'sandbox-r1', mode: 'execute', confirm: 'sandbox-r1', strategy: 'physical' };
    const paused: Array<{ checkpoint: { physical: { done: string[]; commands?: Record<string, string> } } }> = [];
    let last: Record<string, any> = {};
    for (let i = 0; i < 80; i++) {
      lambda.reset();
      lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
      // 8 s past the 90 s the function keeps for handing over: each invocation plans (a few Run Commands), works a moment, then hands on.
      last = (await handler(event, context(98_000))) as Record<string, any>;
      if (!last.paused) break;
      paused.push(last as (typeof paused)[number]);
      const call = lambda.commandCalls(InvokeCommand)[0]!.args[0].input;
      expect(call).toMatchObject({ FunctionName: 'replwatch-test-rebuildReplica', InvocationType: 'Event' });
      event = JSON.parse(new TextDecoder().decode(call.Payload as Uint8Array));
      expect(event.resume).toBe(true);
    }
    expect(last.ok, JSON.stringify(last)).toBe(true);
    expect(last.result.checksums.every((c: { match: boolean }) => c.match)).toBe(true);
    expect(paused.length).toBeGreaterThan(2);
    // At least one invocation ended while a host command was still running on an instance.
    expect(paused.some((p) => Object.keys(p.checkpoint.physical.commands ?? {}).length > 0)).toBe(true);

    const steps = [...invocations.values()].slice(sentBefore).map((i) => `${i.instance === INSTANCES['sandbox-r1'] ? 'replica' : 'donor'} ${i.step}`);
    // The stream crossed "hosts": the replica listened, the donor sent; each once, whatever the hand-overs.
    for (const s of ['replica listen', 'donor send', 'replica prepare', 'replica swap'])
      expect(
        steps.filter((x) => x === s),
        s,
      ).toHaveLength(1);
    expect(steps.filter((x) => x.endsWith(' backup') || x.endsWith(' receive'))).toEqual([]);
    expect(last.result.gtidPosition).toMatch(/^0-1-\d+$/);
    await replicating('sandbox-r1');
    await identicalToPrimary('sandbox-r1');
    await primaryUntouched();
  }, 300_000);
});
