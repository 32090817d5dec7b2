import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load';
import { dispatch, type Invoke } from '../../src/dispatch/dispatch';
import { restartMemcached, signalPart, type SandboxState } from '../../src/sandbox/sandbox';
import { fakeDynamoTable } from '../support/fakeDynamo';
import { startSandbox, stopSandbox } from '../support/sandbox';
import { lambdaEnv } from '../support/lambdaEnv';

const cw = mockClient(CloudWatchClient);
const sns = mockClient(SNSClient);
const table = fakeDynamoTable();
let sb: SandboxState;
let configFile: string;
const context = () => ({ getRemainingTimeInMillis: () => 2000, functionName: 'worker', awsRequestId: 'req' }) as unknown as Context;

beforeAll(async () => {
  sb = await startSandbox();
  // One target per shard: the two memcached nodes are checked by two different worker runs.
  configFile = lambdaEnv(sb, 'sharded', { shardSize: 1, sampleSeconds: 60 });
  cw.on(PutMetricDataCommand).resolves({});
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
});
afterAll(async () => {
  table.mock.restore();
  await stopSandbox(sb);
});

const subjects = () => sns.commandCalls(PublishCommand).map((c) => c.args[0].input.Subject);

describe('dispatch with the worker invoked in process (the Lambda code path, no AWS)', () => {
  it('each shard pages its own node once, and the other shard never resolves an alert that is not its own', async () => {
    const workers = {
      replication: (await import('../../functions/checkReplication')).checkReplication,
      memcache: (await import('../../functions/checkMemcache')).checkMemcache,
      network: (await import('../../functions/checkNetwork')).checkNetwork,
    };
    const runs: string[] = [];
    const invoke: Invoke = async (check, event) => {
      runs.push(`${check} ${event.shard.index + 1}/${event.shard.count}`);
      await workers[check](event, context());
    };
    const config = await loadConfig(configFile);
    const tick = () => dispatch(config, invoke);

    const first = await tick();
    expect(first.failed).toEqual([]);
    // 3 servers of one cluster stay together; 2 nodes and 2 network targets are 2 shards each.
    expect(runs.sort()).toEqual(['memcache 1/2', 'memcache 2/2', 'network 1/2', 'network 2/2', 'replication 1/1']);
    expect(subjects()).toEqual([]);

    signalPart(sb, 'sessions-a', 'SIGKILL');
    await tick();
    await tick();
    const node = `127.0.0.1:${sb.memcached[0]!.port}`;
    expect(subjects()).toEqual([`[CRITICAL] MemcacheUnreachable sessions/${node}`]);
    // Shard 2 keeps running, healthy, with node a's alert firing in the shared table: it must leave it alone.
    await tick();
    await tick();
    expect(subjects()).toHaveLength(1);
    expect(table.items.has(`alert#MemcacheUnreachable|sessions|${node}`)).toBe(true);

    await restartMemcached(sb, 'sessions-a');
    await tick();
    await tick();
    expect(subjects().filter((s) => s?.startsWith('[RESOLVED]'))).toEqual([`[RESOLVED] MemcacheUnreachable sessions/${node}`]);
  }, 60_000);
});
