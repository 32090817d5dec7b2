import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { rds } from '../src/aws/clients';
import { SecretResolver } from '../src/config/secrets';
import { lambdaConfig, logger } from '../src/lambda/runtime';
import { ASSUMED_BYTES_PER_SECOND } from '../src/runbooks/plan';
import { rebuildReplica } from '../src/runbooks/rebuild';
import { lambdaSinks, lambdaStore } from '../src/lambda/worker';
import { RebuildPaused, RunbookRefusal, unfinished } from '../src/runbooks/errors';

/** The manual invocation: `confirm` must repeat the replica's name before anything is written. */
export const eventSchema = z
  .strictObject({
    cluster: z.string().min(1),
    replica: z.string().min(1),
    donor: z.string().min(1).optional(),
    mode: z.enum(['plan', 'execute']).default('plan'),
    confirm: z.string().optional(),
    /**
     * auto: physical where the donor and the replica have SSM agents, else logical. logical: copy
     * over SQL (MariaDB); physical: stream the data files through SSM Run Command; rds: replace
     * an RDS read replica, keeping its endpoint.
     */
    strategy: z.enum(['auto', 'logical', 'physical', 'rds']).default('auto'),
    /** Rebuild a replica that is healthy (replicating, no error); without it such a replica is refused. */
    force: z.boolean().default(false),
    /** Set by the function itself when it hands an unfinished copy to its next invocation. */
    resume: z.boolean().default(false),
  })
  .refine((e) => e.mode === 'plan' || e.confirm === e.replica, { message: 'execute needs confirm equal to the replica name', path: ['confirm'] });

/** Time kept back at the end of an invocation for catch-up, checksums and handing over. */
const RESERVE_MS = 90_000;
/** The function's timeout (serverless.yml). */
const INVOCATION_MS = 900_000;

/**
 * Plans, or executes a rebuild. A copy longer than one invocation stops at a table boundary
 * before the time runs out, and the function invokes itself to resume from the checkpoint.
 */
export const rebuildReplicaHandler = async (event: unknown, context: Context) => {
  const parsed = eventSchema.safeParse(event);
  if (!parsed.success) {
    return { ok: false, error: parsed.error.issues.map((i) => `${i.path.join('.') || 'event'}: ${i.message}`).join('; ') };
  }
  const e = parsed.data;
  const config = await lambdaConfig();
  // Without STATE_TABLE (local runs), the lock and checkpoint live as long as the container.
  const store = lambdaStore();
  let largestTableMs = 0;
  try {
    const { planned, executed } = await rebuildReplica({
      config,
      request: {
        cluster: e.cluster,
        replica: e.replica,
        strategy: e.strategy,
        ...(e.donor ? { donor: e.donor } : {}),
        execute: e.mode === 'execute',
        resume: e.resume,
        force: e.force,
        // On-call runs what the pages say with their own config: commands without flags.
        sinks: lambdaSinks(config),
        approve: (p) => {
          if (p.strategy === 'physical') {
            // The host steps wait across invocations; the checksums are one pass over every table, in one.
            const verifyMs = (p.plan.inventory.tables.reduce((a, t) => a + t.bytes, 0) / ASSUMED_BYTES_PER_SECOND) * 1000;
            if (verifyMs > INVOCATION_MS - RESERVE_MS)
              throw new RunbookRefusal(`verifying the copy by checksum would take longer than one invocation; run it with the CLI: ${p.plan.command}`);
            // No step starts that could not end in this invocation: the rest goes to the next one.
            largestTableMs = verifyMs;
            return;
          }
          if (p.strategy !== 'logical') return;
          largestTableMs = (Math.max(0, ...p.plan.inventory.tables.map((t) => t.bytes)) / ASSUMED_BYTES_PER_SECOND) * 2000;
          if (largestTableMs > context.getRemainingTimeInMillis() - RESERVE_MS) {
            throw new RunbookRefusal(`the largest table alone would take longer than one invocation; run it with the CLI: ${p.plan.command}`);
          }
        },
      },
      secrets: new SecretResolver(),
      store,
      execution: {
        onEvent: (ev) => logger.info(`rebuild ${ev.step} ${ev.status}`, { event: ev }),
        shouldPause: () => context.getRemainingTimeInMillis() < largestTableMs + RESERVE_MS,
        // Each AWS wait ends before the invocation does; the next one picks up where it stopped.
        ...(e.strategy === 'rds' ? { rds, rdsTimeoutMs: Math.max(10_000, context.getRemainingTimeInMillis() - RESERVE_MS) } : {}),
      },
    });
    return { ok: true, plan: planned.plan, ...(executed ? { result: executed.result } : {}) };
  } catch (err) {
    if (err instanceof RebuildPaused) {
      // The next invocation continues the strategy this one chose, not `auto` again.
      await invokeSelf(context, { ...e, strategy: err.checkpoint.strategy ?? 'logical', resume: true });
      logger.info('rebuild handed to the next invocation', { checkpoint: err.checkpoint });
      return { ok: true, paused: true, checkpoint: err.checkpoint, waiting: err.message };
    }
    // Any other error is returned too, never thrown: an asynchronous invocation that throws is retried, and a retry would rebuild again.
    const u = unfinished(err, e.replica) ?? { outcome: 'failed', message: (err as Error).message };
    if (u.outcome !== 'refused') logger.error(`rebuild ${u.outcome}`, { error: u.message });
    if (u.paging?.state === 'refused') logger.error(u.paging.text);
    else if (u.paging?.state === 'not paged') logger.warn(u.paging.text);
    return { ok: false, error: u.message, ...(u.resume ? { resume: u.resume } : {}) };
  }
};

/** Imported when a rebuild hands over, not at every cold start. */
async function invokeSelf(context: Context, event: z.output<typeof eventSchema>): Promise<void> {
  const { invokeAsync } = await import('../src/lambda/invoke');
  await invokeAsync(context.functionName, event);
}

export const handler = middy(rebuildReplicaHandler).use(injectLambdaContext(logger));
