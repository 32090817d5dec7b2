import { snsFor } from '../../../src/aws/clients';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertState } from '../../../src/alerting/alert';
import { formatPage } from '../../../src/alerting/page';
import { FakeSns } from '../../../src/gameday/fakeSns';
import { SnsPageSink } from '../../../src/sinks/pages';

const alert: AlertState = {
  key: 'ReplicationBroken|sandbox|sandbox-r1',
  status: 'firing',
  severity: 'critical',
  finding: {
    code: 'ReplicationBroken',
    severity: 'critical',
    cluster: 'sandbox',
    target: 'sandbox-r1',
    summary: 'SQL thread stopped: 1062',
    runbook: 'replwatch runbook rebuild-replica --cluster sandbox --replica sandbox-r1',
    details: {},
  },
  firstSeenAt: '2026-11-22T10:00:00.000Z',
  firedAt: '2026-11-22T10:00:00.000Z',
  consecutiveFound: 1,
  consecutiveClear: 0,
  version: 1,
};

describe("the game day's SNS endpoint, reached by the real AWS SDK", () => {
  const sns = new FakeSns();
  let sink: SnsPageSink;
  beforeAll(async () => {
    const endpoint = await sns.start();
    sink = new SnsPageSink('arn:aws:sns:us-east-1:000000000000:t', {
      client: snsFor('arn:aws:sns:us-east-1:000000000000:t', { endpoint, accessKeyId: 'x', secretAccessKey: 'y' }),
      attempts: 2,
      timeoutMs: 1000,
    });
  });
  afterAll(() => sns.stop());

  it('reads back what on-call received: transition, code, target and the fix command', async () => {
    await sink.send(formatPage({ kind: 'firing', alert: alert, at: '2026-11-22T10:00:00.000Z' }));
    expect(sns.received()).toMatchObject([
      {
        kind: 'firing',
        code: 'ReplicationBroken',
        target: 'sandbox-r1',
        subject: '[CRITICAL] ReplicationBroken sandbox/sandbox-r1',
        fix: alert.finding.runbook,
      },
    ]);
  });

  it('refuses like an SNS outage when failing: the sink rejects and every attempt is recorded', async () => {
    sns.failing = true;
    await expect(sink.send(formatPage({ kind: 'resolved', alert: alert, at: '2026-11-22T10:01:00.000Z' }))).rejects.toThrow(/paging channel is down/);
    sns.failing = false;
    expect(sns.publishes.filter((p) => !p.accepted)).toHaveLength(2);
    expect(sns.received()).toHaveLength(1);
  });
});
