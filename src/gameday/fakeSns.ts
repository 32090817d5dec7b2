import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';

/** What the drill's SNS endpoint saw: every Publish, taken or refused. */
export interface Publish {
  at: number;
  accepted: boolean;
  subject: string;
  message: string;
  attributes: Record<string, string>;
}

/** A page as on-call received it, read back from a Publish (replwatch's own, or a CloudWatch alarm's). */
export interface ReceivedPage {
  at: number;
  kind: 'firing' | 'repeat' | 'resolved';
  code: string;
  target: string;
  subject: string;
  /** The command the page told on-call to run (its "Fix:" line), when it named one. */
  fix?: string;
}

/**
 * The game day's SNS: a local HTTP endpoint speaking SNS's query protocol, which the monitor reaches
 * through the real AWS SDK (AWS_ENDPOINT_URL_SNS). The drill scores from what arrived here, and can
 * make it fail like an SNS outage (HTTP 500) to drill the paging channel.
 */
export class FakeSns {
  readonly publishes: Publish[] = [];
  failing = false;
  private server?: Server;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        const requestId = randomUUID();
        if (form.get('Action') !== 'Publish') {
          res
            .writeHead(400, { 'content-type': 'text/xml' })
            .end(error('InvalidAction', `the drill's SNS takes Publish only, not ${form.get('Action')}`, requestId));
          return;
        }
        const publish: Publish = {
          at: Date.now(),
          accepted: !this.failing,
          subject: form.get('Subject') ?? '',
          message: form.get('Message') ?? '',
          attributes: attributesOf(form),
        };
        this.publishes.push(publish);
        if (!publish.accepted) {
          res.writeHead(500, { 'content-type': 'text/xml' }).end(error('InternalError', 'game day: the paging channel is down', requestId));
          return;
        }
        res
          .writeHead(200, { 'content-type': 'text/xml' })
          .end(
            `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${randomUUID()}</MessageId></PublishResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></PublishResponse>`,
          );
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as { port: number };
    return `http://127.0.0.1:${port}`;
  }

  /** Pages that reached on-call (accepted publishes), oldest first. */
  received(): ReceivedPage[] {
    return this.publishes.filter((p) => p.accepted).map(pageOf);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

function error(code: string, message: string, requestId: string): string {
  return `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Receiver</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
}

/** MessageAttributes.entry.N.Name / .Value.StringValue, as the query protocol flattens them. */
function attributesOf(form: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (let n = 1; form.has(`MessageAttributes.entry.${n}.Name`); n++) {
    out[form.get(`MessageAttributes.entry.${n}.Name`)!] = form.get(`MessageAttributes.entry.${n}.Value.StringValue`) ?? '';
  }
  return out;
}

/**
 * replwatch's pages carry `transition` and `code` attributes and name the target in the Chatbot
 * body; CloudWatch alarm notifications carry none: their state and name are in the JSON message.
 */
function pageOf(p: Publish): ReceivedPage {
  if (p.attributes.transition) {
    const body = JSON.parse(p.message) as { default: string; email: string };
    const chatbot = JSON.parse(body.default) as { metadata: { additionalContext: { target: string } } };
    const fix = /^Fix: (.+)$/m.exec(body.email)?.[1];
    return {
      at: p.at,
      kind: p.attributes.transition as ReceivedPage['kind'],
      code: p.attributes.code ?? '',
      target: chatbot.metadata.additionalContext.target,
      subject: p.subject,
      ...(fix ? { fix } : {}),
    };
  }
  const alarm = JSON.parse(p.message) as { AlarmName: string; NewStateValue: string };
  return { at: p.at, kind: alarm.NewStateValue === 'ALARM' ? 'firing' : 'resolved', code: alarm.AlarmName, target: alarm.AlarmName, subject: p.subject };
}
