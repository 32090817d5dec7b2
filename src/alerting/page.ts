import type { AlertState, TransitionKind } from './alert';

/** SNS takes at most 256 KB per message, every protocol's body together; keep well under. */
export const MAX_MESSAGE_BYTES = 250_000;
/** SNS: "less than 100 characters long". */
const MAX_SUBJECT = 99;
/** Chatbot's custom notification description holds at most 8000 characters. */
const MAX_DESCRIPTION = 8000;
const MAX_EVIDENCE = 32_000;

/** One page: what each kind of subscriber reads, and the attributes they filter on. */
export interface Page {
  kind: TransitionKind;
  escalated: boolean;
  key: string;
  severity: 'critical' | 'warning';
  code: string;
  cluster: string;
  target: string;
  at: string;
  subject: string;
  /** Email and the default body for plain subscribers. */
  text: string;
  sms: string;
  /** Amazon Q Developer in chat applications (AWS Chatbot) custom notification. */
  chatbot: ChatbotNotification;
}

export interface ChatbotNotification {
  version: '1.0';
  source: 'custom';
  id: string;
  content: { textType: 'client-markdown'; title: string; description: string; nextSteps: string[]; keywords: string[] };
  metadata: { threadId: string; summary: string; eventType: string; relatedResources: string[]; additionalContext: Record<string, string> };
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 40)}... [${text.length - max + 40} characters cut]`;
}

/** SNS subjects: printable ASCII, no line breaks, under 100 characters. */
export function subjectLine(text: string): string {
  const ascii = text.replace(/[^\x20-\x7e]/g, '?');
  return ascii.length <= MAX_SUBJECT ? ascii : `${ascii.slice(0, MAX_SUBJECT - 3)}...`;
}

function since(from: string | undefined, to: string): string {
  if (!from) return '';
  const s = Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / 1000));
  return s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`;
}

/** The page for an alert transition. Pure. */
export interface PageInput {
  kind: TransitionKind;
  alert: AlertState;
  /** When it is paged (ISO). */
  at: string;
  /** A firing alert that got worse (warning -> critical). */
  escalated?: boolean;
  /** More to read below the evidence (autoPlan's rebuild plan). */
  attachment?: string;
}

export function formatPage({ kind, alert, at, escalated = false, attachment }: PageInput): Page {
  const f = alert.finding;
  const where = `${f.cluster}/${f.target}`;
  const label = kind === 'resolved' ? 'RESOLVED' : alert.severity.toUpperCase();
  const state = kind === 'repeat' ? ', still firing' : escalated ? ', escalated' : '';
  const subject = subjectLine(`[${label}${state}] ${f.code} ${where}`);
  const fix = f.runbook ? `Fix: ${f.runbook}` : f.action ? `Next: ${f.action}` : '';
  const evidence = clip(JSON.stringify(f.details, null, 2), MAX_EVIDENCE);
  const summary = clip(f.summary, 2000);
  const timing =
    kind === 'resolved'
      ? `Cleared for ${alert.consecutiveClear} samples, after firing for ${since(alert.firedAt, at)} (since ${alert.firedAt}).`
      : `Firing since ${alert.firedAt ?? at}${kind === 'repeat' ? ` (${since(alert.firedAt, at)})` : ''}; first seen ${alert.firstSeenAt}.`;
  const text = [
    `${label}${state}: ${f.code} on ${where}`,
    '',
    kind === 'resolved' ? `Was: ${summary}` : summary,
    ...(kind === 'resolved' || !fix ? [] : ['', fix]),
    ...(attachment ? ['', clip(attachment, 8000)] : []),
    '',
    timing,
    `Alert: ${alert.key}`,
    ...(kind === 'resolved' ? [] : ['', 'Evidence:', evidence]),
  ].join('\n');
  const sms = clip(
    `${label} ${f.code} ${where}: ${kind === 'resolved' ? 'cleared' : f.summary}${kind !== 'resolved' && f.runbook ? ` | ${f.runbook}` : ''}`,
    300,
  );
  const nextSteps = kind === 'resolved' ? [] : [f.runbook ? `\`${f.runbook}\`` : undefined, f.action].filter((s): s is string => Boolean(s));
  const chatbot: ChatbotNotification = {
    version: '1.0',
    source: 'custom',
    id: `${alert.key}|${at}`,
    content: {
      textType: 'client-markdown',
      title: clip(
        `${kind === 'resolved' ? ':white_check_mark:' : alert.severity === 'critical' ? ':rotating_light:' : ':warning:'} ${label}${state}: ${f.code} on ${where}`,
        250,
      ),
      description: clip(
        kind === 'resolved'
          ? `${timing}\nWas: ${summary}`
          : `${summary}\n\n${timing}${attachment ? `\n\`\`\`\n${attachment}\n\`\`\`` : ''}\n\`\`\`\n${evidence}\n\`\`\``,
        MAX_DESCRIPTION,
      ),
      nextSteps,
      keywords: [alert.severity, f.code, f.cluster],
    },
    metadata: {
      threadId: alert.key,
      summary: clip(`${label} ${f.code} ${where}`, 250),
      eventType: kind,
      relatedResources: [where],
      additionalContext: { severity: alert.severity, cluster: f.cluster, code: f.code, target: f.target },
    },
  };
  return { kind, escalated, key: alert.key, severity: alert.severity, code: f.code, cluster: f.cluster, target: f.target, at, subject, text, sms, chatbot };
}

/**
 * The SNS Publish input: one body per protocol (MessageStructure json): the Chatbot schema for
 * HTTPS endpoints and as default, plain text for email, one line for SMS. Attributes let a
 * subscription filter by severity, cluster, code and transition (firing, repeat, resolved).
 */
export function snsPublishInput(topicArn: string, page: Page) {
  const bodies = {
    default: JSON.stringify(page.chatbot),
    https: JSON.stringify(page.chatbot),
    email: page.text,
    'email-json': JSON.stringify(page.chatbot),
    sms: page.sms,
  };
  let message = JSON.stringify(bodies);
  if (Buffer.byteLength(message) > MAX_MESSAGE_BYTES) {
    // Only evidence can be this large; the plain text keeps its head, which says what broke.
    const short = clip(page.text, 60_000);
    message = JSON.stringify({
      ...bodies,
      email: short,
      'email-json': JSON.stringify({ ...page.chatbot, content: { ...page.chatbot.content, description: clip(page.chatbot.content.description, 4000) } }),
    });
  }
  return {
    TopicArn: topicArn,
    Subject: page.subject,
    Message: message,
    MessageStructure: 'json',
    MessageAttributes: {
      severity: { DataType: 'String', StringValue: page.severity },
      cluster: { DataType: 'String', StringValue: page.cluster },
      code: { DataType: 'String', StringValue: page.code },
      transition: { DataType: 'String', StringValue: page.kind },
    },
  };
}
