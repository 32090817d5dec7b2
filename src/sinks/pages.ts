import { constants } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { hostname } from 'node:os';
import { pidRuns } from '../util/pids';
import { dirname, resolve } from 'node:path';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { snsPublishInput, type Page } from '../alerting/page';
import { snsFor } from '../aws/clients';
import { sleep, withDeadline } from '../util/deadline';

/** Where pages go. `send` rejects when the page was not taken; the caller counts and retries. */
export interface PageSink {
  readonly name: string;
  send(page: Page): Promise<void>;
}

/** SNS Publish with its own deadline per attempt and backoff between attempts (bounded: < 4 s). */
export class SnsPageSink implements PageSink {
  readonly name = 'sns';
  private readonly client: SNSClient;
  private readonly attempts: number;
  private readonly timeoutMs: number;

  /** `client`: by default the topic region's paging client. */
  constructor(
    private readonly topicArn: string,
    o: { client?: SNSClient; attempts?: number; timeoutMs?: number } = {},
  ) {
    this.client = o.client ?? snsFor(topicArn);
    this.attempts = o.attempts ?? 3;
    this.timeoutMs = o.timeoutMs ?? 1000;
  }

  async send(page: Page): Promise<void> {
    let last: unknown;
    for (let attempt = 0; attempt < this.attempts; attempt++) {
      if (attempt > 0) await sleep(200 * 2 ** (attempt - 1));
      try {
        await this.client.send(new PublishCommand(snsPublishInput(this.topicArn, page)), { abortSignal: AbortSignal.timeout(this.timeoutMs) });
        return;
      } catch (e) {
        last = e;
      }
    }
    throw last;
  }
}

const COLOUR = { critical: '\x1b[31m', warning: '\x1b[33m', resolved: '\x1b[32m' };

/** One coloured line per transition, for a person watching a terminal. */
/** Whether the terminal sink named `sink` (`console:<host>:<pid>`) belongs to a process that runs on this host now. */
export function consoleAlive(sink: string): boolean {
  const m = /^console:(.+):(\d+)$/.exec(sink);
  return m !== null && m[1] === hostname() && pidRuns(Number(m[2]));
}

export class ConsolePageSink implements PageSink {
  /** This process's terminal: a watcher's console and a runbook's are two sinks, each told of an incident itself (delivery.ts isEphemeral). */
  readonly name = `console:${hostname()}:${process.pid}`;
  constructor(
    private readonly write: (line: string) => void,
    private readonly tty: boolean,
  ) {}

  async send(page: Page): Promise<void> {
    const colour = page.kind === 'resolved' ? COLOUR.resolved : COLOUR[page.severity];
    // The steps are Chatbot markdown: a command there is in backticks, which pasted into a shell
    // would run it as a command substitution. Printed bare here, as it runs.
    const steps = page.chatbot.content.nextSteps.map((s) => (/^`[^`]+`$/.test(s) ? s.slice(1, -1) : s));
    const line = `${page.at} PAGE ${page.subject}${page.kind === 'resolved' ? '' : ` | ${steps.join(' | ')}`}`;
    this.write(this.tty ? `${colour}${line}\x1b[0m` : line);
  }
}

/** One JSON object per line: the local record of every page, which the game day scores from. */
/** O_NONBLOCK: a FIFO nobody reads fails at once (ENXIO) instead of holding a libuv thread forever; a regular file is unaffected. */
const APPEND = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NONBLOCK;

export class JsonlPageSink implements PageSink {
  /** Named by its file: two processes writing different files are two sinks, each owed its own RESOLVED. */
  readonly name: string;
  constructor(
    private readonly file: string,
    private readonly timeoutMs = 2000,
  ) {
    this.name = `jsonl:${resolve(file)}`;
  }

  async send(page: Page): Promise<void> {
    const { chatbot: _chatbot, ...record } = page;
    const write = async () => {
      await mkdir(dirname(this.file), { recursive: true });
      const fh = await open(this.file, APPEND, 0o600);
      try {
        await fh.write(`${JSON.stringify(record)}\n`);
      } finally {
        await fh.close();
      }
    };
    // A stalled filesystem (a hung NFS mount) costs this sink its page, never the sample.
    await withDeadline(write(), this.timeoutMs, `writing ${this.file}`);
  }
}
