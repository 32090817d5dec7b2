import * as z from 'zod';
import { alertKey, type AlertState } from '../alerting/alert';
import type { Silence } from '../alerting/silence';
import { formatPath } from '../config/load';
import { silenceFields, silenceRules } from '../config/schema';
import { FINDING_CODES } from '../model/codes';
import { OperatorError } from '../util/errors';

/**
 * What the state stores hold, checked whenever it is read: a state that is not what replwatch
 * wrote (a hand edit, a truncated or foreign file) must not page every sample (alerts as a list
 * never store), never page (an alert that is a number) or hold every page (a silence naming
 * nothing). Objects are loose: fields a newer replwatch adds are kept, not stripped on rewrite.
 */

const time = z.string().refine((t) => !Number.isNaN(Date.parse(t)), 'expected a date-time');
const count = z.number().int().nonnegative();

const finding = z.looseObject({
  code: z.enum(FINDING_CODES),
  severity: z.enum(['critical', 'warning', 'info']),
  cluster: z.string(),
  target: z.string(),
  summary: z.string(),
  runbook: z.string().optional(),
  action: z.string().optional(),
  details: z.record(z.string(), z.unknown()),
});

const owedPage = z.looseObject({
  kind: z.enum(['firing', 'repeat', 'resolved']),
  sinks: z.array(z.string()),
  at: time,
  escalated: z.boolean().optional(),
  unaware: z.array(z.string()).optional(),
  leaseUntil: time.optional(),
});

export const alertStateSchema = z
  .looseObject({
    key: z.string().min(1),
    status: z.enum(['pending', 'firing']),
    severity: z.enum(['critical', 'warning']),
    finding,
    firstSeenAt: time,
    firedAt: time.optional(),
    lastPagedAt: time.optional(),
    consecutiveFound: count,
    consecutiveClear: count,
    undelivered: owedPage.optional(),
    toldSinks: z.array(z.string()).optional(),
    version: count,
  })
  .refine((a) => a.key === alertKey(a.finding), { message: "key is not its finding's code|cluster|target", path: ['key'] });

export const storedSilenceSchema = silenceRules(
  z.looseObject({
    id: z.string().min(1),
    ...silenceFields,
    codes: z.array(z.enum(FINDING_CODES)).min(1).optional(),
    quietSamples: z.number().int().min(0).optional(),
    createdBy: z.string().optional(),
  }),
);

/** Locks (rebuild leases and their checkpoints) are objects; their fields are the lock code's own business. */
const lock = z.looseObject({});

// A part left out is empty: files from before locks existed have none.
export const fileStateSchema = z
  .looseObject({
    alerts: z.record(z.string(), alertStateSchema).default({}),
    silences: z.array(storedSilenceSchema).default([]),
    locks: z.record(z.string(), lock).default({}),
  })
  .refine((s) => Object.entries(s.alerts).every(([k, a]) => a.key === k), { message: 'an alert is filed under another key than its own', path: ['alerts'] });

/** The first thing wrong in a failed parse (of a value found at `at`), as `path: message`. */
export function firstProblem(error: z.ZodError, at: PropertyKey[] = []): string {
  const issue = error.issues[0]!;
  return `${formatPath([...at, ...issue.path]) || '(top level)'}: ${issue.message}`;
}

/** The first thing wrong with `value` (found at `at`) as `schema`; undefined when it is valid. */
export function stateProblem(schema: z.ZodType, value: unknown, at: PropertyKey[] = []): string | undefined {
  const result = schema.safeParse(value);
  return result.success ? undefined : firstProblem(result.error, at);
}

export const isAlertState = (v: unknown): v is AlertState => alertStateSchema.safeParse(v).success;
export const isStoredSilence = (v: unknown): v is Silence => storedSilenceSchema.safeParse(v).success;

/**
 * The state store cannot be read or written at all (permissions, a directory in its place, a full
 * or dead disk, DynamoDB refusing): paging is off until it can. Whoever runs a one-shot command on
 * it gets one line (exit 3); the monitors report it as a StateUnreadable finding.
 */
export class StateStoreError extends OperatorError {}
