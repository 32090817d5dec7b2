import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from '../../../src/alerting/page';
import { JsonlPageSink } from '../../../src/sinks/pages';

const page = (key: string): Page => ({
  kind: 'firing',
  escalated: false,
  key,
  severity: 'critical',
  code: 'MemcacheUnreachable',
  cluster: 'sessions',
  target: '127.0.0.1:11211',
  at: '2026-12-02T23:00:00.000Z',
  subject: 'subject',
  text: 'text',
  sms: 'sms',
  chatbot: { version: '1.0', source: 'custom', content: { description: 'd' } } as Page['chatbot'],
});

describe('the JSONL page sink', () => {
  it('appends one JSON line a page (without the chat payload) to a file only its owner reads, creating its folder', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'rw-jsonl-')), 'deep', 'pages.jsonl');
    const sink = new JsonlPageSink(file);
    await sink.send(page('a'));
    await sink.send(page('b'));
    const lines = readFileSync(file, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.key)).toEqual(['a', 'b']);
    expect(lines[0]).not.toHaveProperty('chatbot');
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('fails at once on a FIFO nobody reads, instead of blocking the monitor on open', async () => {
    const fifo = join(mkdtempSync(join(tmpdir(), 'rw-jsonl-')), 'pages.fifo');
    execFileSync('mkfifo', [fifo]);
    await expect(new JsonlPageSink(fifo, 500).send(page('a'))).rejects.toMatchObject({ code: 'ENXIO' });
  });
});
