import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SandboxState } from '../../src/sandbox/sandbox';
import { fakeDynamoTable } from '../support/fakeDynamo';
import { sql, startSandbox, stopSandbox, waitFor } from '../support/sandbox';
import { lambdaEnv } from '../support/lambdaEnv';

const cw = mockClient(CloudWatchClient);
const sns = mockClient(SNSClient);
const table = fakeDynamoTable();
let sb: SandboxState;
// A budget too short for a second sample: one sample per invocation, as with sampleSeconds 60.
const context = () => ({ getRemainingTimeInMillis: () => 2000, functionName: 'test', awsRequestId: 'req' }) as unknown as Context;

beforeAll(async () => {
  sb = await startSandbox();
  lambdaEnv(sb, 'warm', { sampleSeconds: 60 });
  cw.on(PutMetricDataCommand).resolves({});
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
});
afterAll(async () => {
  table.mock.restore();
  await stopSandbox(sb);
});

const monitorSessions = async () =>
  ((await sql(sb, 'sandbox-primary', "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE USER = 'replwatch'")) as Array<{ n: number }>)[0]!.n;

describe('a warm Lambda container', () => {
  it('keeps lag history across invocations of one sample each (sustainedSamples 2 fires on the second), closes its connections after each, and restarts the history after a missed run', async () => {
    await sql(sb, 'sandbox-r2', 'STOP SLAVE; CHANGE MASTER TO MASTER_DELAY = 60; START SLAVE');
    try {
      await waitFor(
        'r2 to be over 6 s behind',
        async () => {
          const [row] = (await sql(
            sb,
            'sandbox-r2',
            'SELECT TIMESTAMPDIFF(MICROSECOND, ts, UTC_TIMESTAMP(6)) / 1e6 AS lag FROM percona.heartbeat WHERE server_id = 1',
          )) as Array<{ lag: number }>;
          return Number(row?.lag) > 6;
        },
        20_000,
      );
      const { handler } = await import('../../functions/checkReplication');
      const first = await handler({} as ScheduledEvent, context());
      expect(first).toMatchObject({ samples: 1, worst: 0 });
      expect(await monitorSessions()).toBe(0);
      const second = await handler({} as ScheduledEvent, context());
      expect(second).toMatchObject({ samples: 1, worst: 1, pagesSent: 1 });
      expect(sns.commandCalls(PublishCommand)[0]!.args[0].input.Subject).toBe('[WARNING] ReplicaLagging sandbox/sandbox-r2');
      expect(await monitorSessions()).toBe(0);

      // The next minute's run went to another container; this one's comes two minutes after its
      // last: its history has a hole, so it starts again (one sample is not sustained lag)...
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(Date.now() + 120_000);
      expect(await handler({} as ScheduledEvent, context())).toMatchObject({ samples: 1, worst: 0, pagesSent: 0 });
      // ...and a minute later it has two samples in a row again. The alert fired all along: no page.
      vi.setSystemTime(Date.now() + 60_000);
      expect(await handler({} as ScheduledEvent, context())).toMatchObject({ samples: 1, worst: 1, pagesSent: 0 });
      expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
    } finally {
      vi.useRealTimers();
      await sql(sb, 'sandbox-r2', 'STOP SLAVE; CHANGE MASTER TO MASTER_DELAY = 0; START SLAVE');
    }
  }, 60_000);
});
