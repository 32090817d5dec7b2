import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertState } from '../../../src/alerting/alert';
import { formatPage, MAX_MESSAGE_BYTES, snsPublishInput, subjectLine } from '../../../src/alerting/page';
import { ConsolePageSink, SnsPageSink } from '../../../src/sinks/pages';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:replwatch-pages';
const alert = (over: Partial<AlertState['finding']> = {}): AlertState => ({
  key: 'ReplicationBroken|main|main-r1',
  status: 'firing',
  severity: 'critical',
  finding: {
    code: 'ReplicationBroken',
    severity: 'critical',
    cluster: 'main',
    target: 'main-r1',
    summary: "SQL thread stopped: 1062 Duplicate entry '3' for key 'PRIMARY'",
    runbook: 'replwatch runbook rebuild-replica --cluster main --replica main-r1',
    details: { lastSqlErrno: 1062, lastSqlError: "Could not execute Write_rows_v1 event on table app.t; Duplicate entry '3' for key 'PRIMARY'" },
    ...over,
  },
  firstSeenAt: '2026-11-22T10:00:00.000Z',
  firedAt: '2026-11-22T10:00:00.000Z',
  lastPagedAt: '2026-11-22T10:00:00.000Z',
  consecutiveFound: 1,
  consecutiveClear: 0,
  version: 1,
});

describe('page format', () => {
  it('names what broke, the evidence and the exact command, in every body', () => {
    const page = formatPage({ kind: 'firing', alert: alert(), at: '2026-11-22T10:00:00.000Z' });
    expect(page.subject).toBe('[CRITICAL] ReplicationBroken main/main-r1');
    expect(page.text).toContain("SQL thread stopped: 1062 Duplicate entry '3' for key 'PRIMARY'");
    expect(page.text).toContain('Fix: replwatch runbook rebuild-replica --cluster main --replica main-r1');
    expect(page.text).toContain('"lastSqlErrno": 1062');
    expect(page.sms).toContain('replwatch runbook rebuild-replica');
    expect(page.chatbot).toMatchObject({
      version: '1.0',
      source: 'custom',
      content: { textType: 'client-markdown', nextSteps: ['`replwatch runbook rebuild-replica --cluster main --replica main-r1`'] },
      metadata: { threadId: 'ReplicationBroken|main|main-r1', eventType: 'firing' },
    });
    expect(page.chatbot.content.title).toContain('CRITICAL: ReplicationBroken on main/main-r1');
  });

  it('prints the console PAGE line with the command bare, as it is pasted into a shell (no backticks)', async () => {
    const lines: string[] = [];
    const page = formatPage({ kind: 'firing', alert: alert({ action: 'then check `SHOW SLAVE STATUS`' }), at: '2026-11-22T10:00:00.000Z' });
    await new ConsolePageSink((l) => lines.push(l), false).send(page);
    expect(lines).toEqual([
      '2026-11-22T10:00:00.000Z PAGE [CRITICAL] ReplicationBroken main/main-r1 | replwatch runbook rebuild-replica --cluster main --replica main-r1 | then check `SHOW SLAVE STATUS`',
    ]);
    // Chat keeps its markdown.
    expect(page.chatbot.content.nextSteps[0]).toBe('`replwatch runbook rebuild-replica --cluster main --replica main-r1`');
  });

  it('threads repeat and resolved pages with the firing one, and says how long it lasted', () => {
    const repeat = formatPage({ kind: 'repeat', alert: alert(), at: '2026-11-22T10:30:00.000Z' });
    expect(repeat.subject).toBe('[CRITICAL, still firing] ReplicationBroken main/main-r1');
    const resolved = formatPage({ kind: 'resolved', alert: { ...alert(), consecutiveClear: 2 }, at: '2026-11-22T10:45:00.000Z' });
    expect(resolved.subject).toBe('[RESOLVED] ReplicationBroken main/main-r1');
    expect(resolved.text).toContain('after firing for 45 min');
    expect(resolved.chatbot.metadata.threadId).toBe(repeat.chatbot.metadata.threadId);
    expect(resolved.chatbot.content.nextSteps).toEqual([]);
  });

  it('keeps subjects under 100 printable ASCII characters (SNS refuses 100)', () => {
    const long = formatPage({ kind: 'firing', alert: alert({ target: `replica-${'x'.repeat(150)}`, cluster: 'zürich' }), at: '2026-11-22T10:00:00.000Z' });
    expect(long.subject.length).toBe(99);
    expect(long.subject).toMatch(/^[\x20-\x7e]+$/);
    expect(subjectLine('a\nb')).toBe('a?b');
  });

  it('builds the SNS input with one body per protocol and filterable attributes', () => {
    const input = snsPublishInput(TOPIC, formatPage({ kind: 'firing', alert: alert(), at: '2026-11-22T10:00:00.000Z' }));
    expect(input.MessageStructure).toBe('json');
    const bodies = JSON.parse(input.Message) as Record<string, string>;
    expect(Object.keys(bodies).sort()).toEqual(['default', 'email', 'email-json', 'https', 'sms']);
    expect(JSON.parse(bodies.default!)).toMatchObject({ version: '1.0', source: 'custom' });
    expect(bodies.email).toContain('Fix: replwatch runbook');
    expect(input.MessageAttributes).toEqual({
      severity: { DataType: 'String', StringValue: 'critical' },
      cluster: { DataType: 'String', StringValue: 'main' },
      code: { DataType: 'String', StringValue: 'ReplicationBroken' },
      transition: { DataType: 'String', StringValue: 'firing' },
    });
  });

  it('stays under 256 KB with a huge error text, keeping what broke', () => {
    const huge = alert({ summary: `SQL thread stopped: ${'E'.repeat(500_000)}`, details: { lastSqlError: 'x'.repeat(2_000_000) } });
    const input = snsPublishInput(TOPIC, formatPage({ kind: 'firing', alert: huge, at: '2026-11-22T10:00:00.000Z' }));
    expect(Buffer.byteLength(input.Message) + Buffer.byteLength(input.Subject)).toBeLessThan(MAX_MESSAGE_BYTES);
    const bodies = JSON.parse(input.Message) as Record<string, string>;
    expect(bodies.email).toMatch(/^CRITICAL: ReplicationBroken on main\/main-r1/);
    expect(bodies.email).toContain('characters cut');
  });
});

const sns = mockClient(SNSClient);
afterEach(() => sns.reset());

describe('SnsPageSink', () => {
  it('retries with backoff and succeeds when SNS recovers', async () => {
    sns.on(PublishCommand).rejectsOnce(new Error('Throttling')).resolves({ MessageId: '1' });
    await new SnsPageSink(TOPIC).send(formatPage({ kind: 'firing', alert: alert(), at: '2026-11-22T10:00:00.000Z' }));
    expect(sns.commandCalls(PublishCommand)).toHaveLength(2);
  });

  it('gives up after its attempts, within a bounded time', async () => {
    sns.on(PublishCommand).rejects(new Error('InternalError'));
    const started = Date.now();
    await expect(new SnsPageSink(TOPIC, { attempts: 3 }).send(formatPage({ kind: 'firing', alert: alert(), at: '2026-11-22T10:00:00.000Z' }))).rejects.toThrow(
      'InternalError',
    );
    expect(sns.commandCalls(PublishCommand)).toHaveLength(3);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
