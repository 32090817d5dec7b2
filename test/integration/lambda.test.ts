import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxState } from '../../src/sandbox/sandbox';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { fakeDynamoTable } from '../support/fakeDynamo';
import { sql, startSandbox, stopSandbox, waitFor } from '../support/sandbox';

const cw = mockClient(CloudWatchClient);
const sns = mockClient(SNSClient);
const table = fakeDynamoTable();
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:replwatch-pages';
let sb: SandboxState;

function context(budgetMs: number): Context {
  const end = Date.now() + budgetMs;
  return { getRemainingTimeInMillis: () => end - Date.now(), functionName: 'test', awsRequestId: 'req-1' } as unknown as Context;
}
const event = {} as ScheduledEvent;

beforeAll(async () => {
  sb = await startSandbox();
  // Sample every second so one invocation takes several samples, as in sub-minute detection.
  const doc = parse(readFileSync(sb.configFile, 'utf8'));
  const file = join(sb.dir, 'lambda.yml');
  writeFileSync(file, JSON.stringify({ ...doc, sampleSeconds: 1 }));
  process.env.REPLWATCH_CONFIG = file;
  process.env.METRICS_NAMESPACE = 'ReplwatchTest';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.STATE_TABLE = 'replwatch-state-test';
  process.env.PAGES_TOPIC_ARN = TOPIC;
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
});
afterAll(async () => {
  await stopSandbox(sb);
});

describe('Lambda handlers against the sandbox (AWS mocked)', () => {
  it('checkReplication samples until its time budget ends and publishes high-resolution metrics each time', async () => {
    cw.on(PutMetricDataCommand).resolves({});
    const { handler } = await import('../../functions/checkReplication');
    const result = await handler(event, context(8500));
    expect(result.worst).toBe(0);
    expect(result.pagesSent).toBe(0);
    expect(result.samples).toBeGreaterThanOrEqual(2);
    const calls = cw.commandCalls(PutMetricDataCommand);
    expect(calls).toHaveLength(result.samples);
    const data = calls[0]!.args[0].input.MetricData!;
    expect(calls[0]!.args[0].input.Namespace).toBe('ReplwatchTest');
    expect(data.filter((d) => d.MetricName === 'ReplicaLagSeconds').map((d) => d.Dimensions![1]!.Value)).toEqual(['sandbox-r1', 'sandbox-r2']);
    expect(data.find((d) => d.MetricName === 'ChecksCompleted')).toMatchObject({ Value: 1, StorageResolution: 1 });
  });

  it('checkReplication pages a stopped replica once through SNS, and its resolve once, with state in DynamoDB', async () => {
    cw.reset();
    cw.on(PutMetricDataCommand).resolves({});
    await sql(sb, 'sandbox-r2', 'STOP SLAVE');
    const { handler } = await import('../../functions/checkReplication');
    const broken = await handler(event, context(7500));
    expect(broken).toMatchObject({ samples: 2, worst: 1, pagesSent: 1, pagesFailed: 0 });
    // Stopped with no error pages at its second sample (a person's STOP; CHANGE; START is not paged).
    const [first, second] = cw.commandCalls(PutMetricDataCommand).map((c) => c.args[0].input.MetricData!);
    expect(first!.filter((d) => d.MetricName === 'ReplicationHealthy').map((d) => d.Value)).toEqual([1, 0]);
    expect([first, second].map((data) => data!.find((d) => d.MetricName === 'PagesSent')!.Value)).toEqual([0, 1]);
    const firing = sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(firing).toHaveLength(1);
    expect(firing[0]).toMatchObject({ TopicArn: TOPIC, Subject: '[WARNING] ReplicationStopped sandbox/sandbox-r2', MessageStructure: 'json' });
    expect(firing[0]!.MessageAttributes!.code!.StringValue).toBe('ReplicationStopped');
    expect([...table.items.keys()]).toEqual(['alert#ReplicationStopped|sandbox|sandbox-r2']);

    // A second overlapping invocation on the same state pages nothing new.
    expect((await handler(event, context(1000))).pagesSent).toBe(0);

    await sql(sb, 'sandbox-r2', 'START SLAVE');
    await waitFor('r2 to replicate', async () => (await handler(event, context(1000))).worst === 0);
    const resolved = await handler(event, context(7500));
    expect(resolved.pagesSent).toBe(1);
    const subjects = sns.commandCalls(PublishCommand).map((c) => c.args[0].input.Subject);
    expect(subjects).toEqual(['[WARNING] ReplicationStopped sandbox/sandbox-r2', '[RESOLVED] ReplicationStopped sandbox/sandbox-r2']);
    expect(table.items.size).toBe(0);
  });

  it('checkReplication pages a rebuild that died half-way, from its lock in the state table, and not the replica it left stopped', async () => {
    sns.resetHistory();
    await sql(sb, 'sandbox-r2', 'STOP SLAVE');
    try {
      const checkpoint = { v: 2, replica: 'sandbox-r2', position: '0-1-1', schemaDone: true, tablesDone: ['`app`.`accounts`'], step: 'copy rows' };
      const at = Date.now() - 60_000;
      table.items.set('lock#rebuild/sandbox', {
        pk: 'lock#rebuild/sandbox',
        kind: 'lock',
        owner: 'lambda-1',
        leaseUntil: at,
        startedAt: new Date(at - 30_000).toISOString(),
        renewedAt: new Date(at - 5000).toISOString(),
        checkpoint,
        version: 3,
      });
      const { handler } = await import('../../functions/checkReplication');
      const scansBefore = table.mock.commandCalls(ScanCommand).length;
      const run = await handler(event, context(4000));
      expect(run.pagesSent).toBe(1);
      // Alerts, silences and the rebuild locks in one Scan a sample.
      expect(table.mock.commandCalls(ScanCommand).length - scansBefore).toBe(run.samples);
      const [page] = sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
      expect(page!.Subject).toBe('[CRITICAL] RebuildFailed sandbox/sandbox-r2');
      // On-call runs it with their own config: no flags.
      expect(JSON.parse(page!.Message!).email).toContain('Fix: replwatch runbook rebuild-replica --cluster sandbox --replica sandbox-r2 --execute --resume');
      expect([...table.items.keys()].filter((k) => k.startsWith('alert#'))).toEqual(['alert#RebuildFailed|sandbox|sandbox-r2']);
    } finally {
      table.items.clear();
      await sql(sb, 'sandbox-r2', 'START SLAVE');
    }
  });

  it('checkMemcache and checkNetwork publish per-node and per-target metrics', async () => {
    cw.reset();
    cw.on(PutMetricDataCommand).resolves({});
    const memcache = await (await import('../../functions/checkMemcache')).handler(event, context(1000));
    expect(memcache).toEqual({ samples: 1, worst: 0, pagesSent: 0, pagesFailed: 0 });
    const network = await (await import('../../functions/checkNetwork')).handler(event, context(1000));
    expect(network).toEqual({ samples: 1, worst: 0, pagesSent: 0, pagesFailed: 0 });
    const [mc, net] = cw.commandCalls(PutMetricDataCommand).map((c) => c.args[0].input.MetricData!);
    expect(mc!.filter((d) => d.MetricName === 'MemcacheReachable').map((d) => d.Value)).toEqual([1, 1]);
    expect(mc!.find((d) => d.MetricName === 'ChecksCompleted')!.Dimensions).toEqual([{ Name: 'Check', Value: 'memcache' }]);
    expect(net!.filter((d) => d.MetricName === 'NetworkLossPercent').map((d) => d.Value)).toEqual(sb.lossyHost ? [0, 0] : [0]);
  });

  it('pages a state table DynamoDB refuses as StateUnreadable, once per outage across runs, and its resolve, without the table', async () => {
    cw.reset();
    cw.on(PutMetricDataCommand).resolves({});
    sns.resetHistory();
    const denied = Object.assign(new Error('User is not authorized to perform: dynamodb:Scan'), { name: 'AccessDeniedException' });
    table.mock.on(ScanCommand).rejects(denied);
    const { handler } = await import('../../functions/checkMemcache');
    const runs = [await handler(event, context(1000)), await handler(event, context(1000))];
    expect(runs).toEqual([
      { samples: 1, worst: 2, pagesSent: 1, pagesFailed: 1 },
      { samples: 1, worst: 2, pagesSent: 0, pagesFailed: 1 },
    ]);
    const outage = sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(outage.map((p) => p.Subject)).toEqual(['[CRITICAL] StateUnreadable replwatch/DynamoDB table replwatch-state-test']);
    expect(JSON.parse(outage[0]!.Message!).email).toContain('dynamodb:Scan');
    expect(cw.commandCalls(PutMetricDataCommand).map((c) => c.args[0].input.MetricData!.find((d) => d.MetricName === 'PagesFailed')!.Value)).toEqual([1, 1]);
    table.mock.on(ScanCommand).callsFake((input: { ExpressionAttributeValues?: Record<string, unknown> }) => ({
      Items: [...table.items.values()].filter((i) => i.kind === input.ExpressionAttributeValues?.[':k']),
    }));
    await handler(event, context(1000));
    await handler(event, context(1000));
    expect(sns.commandCalls(PublishCommand).map((c) => c.args[0].input.Subject)).toEqual([
      '[CRITICAL] StateUnreadable replwatch/DynamoDB table replwatch-state-test',
      '[RESOLVED] StateUnreadable replwatch/DynamoDB table replwatch-state-test',
    ]);
  });

  it('heartbeat writes the row every second with the writer account', async () => {
    // Stop the sandbox's EVENT writer so only the Lambda writes.
    await sql(sb, 'sandbox-primary', 'SET GLOBAL event_scheduler = OFF');
    const before = (await sql(sb, 'sandbox-primary', 'SELECT ts FROM percona.heartbeat WHERE server_id = 1')) as Array<{ ts: string }>;
    const { handler } = await import('../../functions/heartbeat');
    const result = await handler(event, context(4500));
    expect(result.failedClusters).toEqual([]);
    expect(result.writes).toBeGreaterThanOrEqual(2);
    const after = (await sql(sb, 'sandbox-primary', 'SELECT ts FROM percona.heartbeat WHERE server_id = 1')) as Array<{ ts: string }>;
    expect(after[0]!.ts > before[0]!.ts).toBe(true);
    expect(Date.now() - Date.parse(`${after[0]!.ts}Z`)).toBeLessThan(2500);
  });
});
