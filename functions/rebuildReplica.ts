import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { SecretResolver } from '../src/config/secrets';
import { lambdaConfig, logger } from '../src/lambda/runtime';
import { rebuildReplica } from '../src/runbooks/rebuild';
import { RunbookRefusal } from '../src/runbooks/target';
import { DynamoStore } from '../src/state/dynamodb';
import { MemoryStore } from '../src/state/store';

const dynamodb = new DynamoDBClient({ maxAttempts: 2 });

/** The manual invocation: `confirm` must repeat the replica's name before anything is written. */
export const eventSchema = z
  .strictObject({
    cluster: z.string().min(1),
    replica: z.string().min(1),
    donor: z.string().min(1).optional(),
    mode: z.enum(['plan', 'execute']).default('plan'),
    confirm: z.string().optional(),
  })
  .refine((e) => e.mode === 'plan' || e.confirm === e.replica, { message: 'execute needs confirm equal to the replica name', path: ['confirm'] });

/** Seconds a copy may be planned to take and still run inside one invocation (15 min, with margin). */
const fits = (estimateSeconds: number, remainingMs: number) => estimateSeconds * 2 * 1000 < remainingMs - 60_000;

export const rebuildReplicaHandler = async (event: unknown, context: Context) => {
  const parsed = eventSchema.safeParse(event);
  if (!parsed.success) {
    return { ok: false, error: parsed.error.issues.map((i) => `${i.path.join('.') || 'event'}: ${i.message}`).join('; ') };
  }
  const e = parsed.data;
  const config = await lambdaConfig();
  const store = process.env.STATE_TABLE ? new DynamoStore(dynamodb, process.env.STATE_TABLE) : new MemoryStore();
  const secrets = new SecretResolver();
  try {
    const { plan, result } = await rebuildReplica(
      config,
      {
        cluster: e.cluster,
        replica: e.replica,
        donor: e.donor,
        execute: e.mode === 'execute',
        approve: (p) => {
          if (!fits(p.estimateSeconds, context.getRemainingTimeInMillis())) {
            throw new RunbookRefusal(`the copy is estimated at ${p.estimateSeconds} s, more than one invocation can hold; run it with the CLI: ${p.command}`);
          }
        },
      },
      secrets,
      store,
      { onEvent: (ev) => logger.info(`rebuild ${ev.step} ${ev.status}`, { event: ev }) },
    );
    return { ok: true, plan, ...(result ? { result } : {}) };
  } catch (err) {
    if (err instanceof RunbookRefusal) return { ok: false, error: `refused: ${err.message}` };
    logger.error('rebuild failed', { error: (err as Error).message });
    return { ok: false, error: (err as Error).message };
  }
};

export const handler = middy(rebuildReplicaHandler).use(injectLambdaContext(logger));
