import * as z from 'zod';
import { qualified } from '../mysql/identifiers';
import { RunbookRefusal } from './errors';

/**
 * A table's name in a rebuild's bookkeeping (done tables, checksums, progress): each part quoted,
 * so `a.b`.`c` and `a`.`b.c` never meet under one key.
 */
export const tableKey = (t: { schema: string; name: string }): string => qualified(t.schema, t.name);

/**
 * Where an interrupted rebuild stands, as stored on its cluster's lock: enough to go on without
 * copying done tables again. Read through this schema: whatever a store holds (an older version,
 * a run that died before its first checkpoint, a damaged file) is a checkpoint or nothing.
 */
export const checkpointSchema = z.object({
  /** 2: tables named by tableKey. Absent: by `schema.name`, as replwatch wrote them before. */
  v: z.literal(2).optional(),
  /** Absent: the logical strategy. */
  strategy: z.enum(['logical', 'rds', 'physical']).optional(),
  replica: z.string().min(1),
  /** GTID position of the snapshot the done tables were copied at ('' before the snapshot). */
  position: z.string(),
  schemaDone: z.boolean(),
  tablesDone: z.array(z.string()),
  /** The step under way when it was written: where a dead run stopped. */
  step: z.string().optional(),
  /**
   * The dead run this one took over (its owner): the incident that one left (a paged
   * RebuildFailed) stays open, held, until this run finishes it.
   */
  continues: z.string().optional(),
  /**
   * The physical strategy's paths on the replica's host, its steps done (a resume skips them), and
   * the host commands of the step under way that may still be running (SSM command ids by
   * `donor|replica host-step`): a resume waits for those instead of starting them again.
   */
  physical: z
    .object({
      datadir: z.string(),
      newDir: z.string(),
      asideDir: z.string(),
      donor: z.string().optional(),
      done: z.array(z.string()),
      commands: z.record(z.string(), z.string()).optional(),
    })
    .optional(),
  /**
   * The flags its run was given beyond cluster and replica (--donor, --workers, --lease, --user and
   * a --password reference; a literal password as env:REPLWATCH_REBUILD_PASSWORD), each with a
   * leading space: its resume command repeats them, or it would not do the same.
   */
  flags: z.string().optional(),
  /** Why the last run stopped, when it failed. */
  failure: z.object({ step: z.string(), message: z.string(), at: z.string() }).optional(),
});

export type RebuildCheckpoint = z.infer<typeof checkpointSchema>;

/** Nothing copied yet: what a run that stopped before its first checkpoint leaves. */
export function freshCheckpoint(replica: string, strategy: 'logical' | 'rds' | 'physical' = 'logical'): RebuildCheckpoint {
  return { v: 2, ...(strategy === 'logical' ? {} : { strategy }), replica, position: '', schemaDone: false, tablesDone: [] };
}

/** How far a checkpoint got, as a person reads it: tables copied, or a physical rebuild's steps done. */
export function progressText(cp: RebuildCheckpoint): string {
  if (cp.strategy === 'physical') return cp.physical?.done.length ? `steps done: ${cp.physical.done.join(', ')}` : 'no step done';
  return `${cp.tablesDone.length} table(s) copied`;
}

export function parseCheckpoint(raw: unknown): RebuildCheckpoint | undefined {
  const parsed = checkpointSchema.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}

/**
 * `cp` with its done tables named by tableKey. A checkpoint written with `schema.name` keys maps
 * each key to the one table of `tables` it can mean (a table gone since is no longer done); a key
 * two tables share is refused, rather than a guess that would leave one of them uncopied.
 */
export function upgradeCheckpoint(cp: RebuildCheckpoint, tables: Array<{ schema: string; name: string }>, startOver: string): RebuildCheckpoint {
  if (cp.v === 2) return cp;
  const done = cp.tablesDone.flatMap((old) => {
    const meant = tables.filter((t) => `${t.schema}.${t.name}` === old);
    if (meant.length > 1) {
      throw new RunbookRefusal(
        `the checkpoint names the done table ${old}, which could be any of ${meant.map(tableKey).join(', ')} (written by an older replwatch): start over with ${startOver}`,
      );
    }
    return meant.map(tableKey);
  });
  return { ...cp, v: 2, tablesDone: done };
}
