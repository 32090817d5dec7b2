import { query, type Connection } from '../mysql/connections';
import { tableKey } from './checkpoint';

/** Schemas a rebuild never copies: the server's own, and the replica's accounts (kept as they are). */
export const SYSTEM_SCHEMAS = ['mysql', 'information_schema', 'performance_schema', 'sys'];

export interface TableInfo {
  schema: string;
  name: string;
  engine: string;
  rows: number;
  bytes: number;
  hasPrimaryKey: boolean;
  /** Columns to copy: generated columns are computed by the target, never inserted. */
  columns: string[];
  /** Those of them that are FLOAT or DOUBLE: their display form is rounded, so they are read and compared as exact doubles (values.ts). */
  floats: string[];
}

export interface Inventory {
  schemas: string[];
  tables: TableInfo[];
  views: Array<{ schema: string; name: string }>;
  /** In the order they fire: by table, timing and event, then ACTION_ORDER (see createTriggers). */
  triggers: Array<{ schema: string; name: string }>;
  routines: Array<{ schema: string; name: string; type: 'PROCEDURE' | 'FUNCTION' }>;
  events: Array<{ schema: string; name: string }>;
}

const notSystem = `NOT IN (${SYSTEM_SCHEMAS.map((s) => `'${s}'`).join(', ')})`;

/** What a donor holds, from information_schema (row counts are InnoDB's estimates). */
export async function readInventory(conn: Connection, timeoutMs: number): Promise<Inventory> {
  const q = <T>(sql: string) => query<T>(conn, sql, timeoutMs);
  const schemas = (await q<{ s: string }>(`SELECT SCHEMA_NAME AS s FROM information_schema.SCHEMATA WHERE SCHEMA_NAME ${notSystem} ORDER BY 1`)).map(
    (r) => r.s,
  );
  const tables = await q<{ s: string; n: string; e: string; r: string | null; b: string | null }>(
    `SELECT TABLE_SCHEMA AS s, TABLE_NAME AS n, ENGINE AS e, TABLE_ROWS AS r, DATA_LENGTH + INDEX_LENGTH AS b
       FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE' AND TABLE_SCHEMA ${notSystem} ORDER BY 1, 2`,
  );
  const keys = new Set(
    (
      await q<{ s: string; n: string }>(
        `SELECT TABLE_SCHEMA AS s, TABLE_NAME AS n FROM information_schema.TABLE_CONSTRAINTS WHERE CONSTRAINT_TYPE = 'PRIMARY KEY' AND TABLE_SCHEMA ${notSystem}`,
      )
    ).map((r) => tableKey({ schema: r.s, name: r.n })),
  );
  const columns = new Map<string, string[]>();
  const floats = new Map<string, string[]>();
  for (const c of await q<{ s: string; n: string; c: string; t: string }>(
    `SELECT TABLE_SCHEMA AS s, TABLE_NAME AS n, COLUMN_NAME AS c, DATA_TYPE AS t FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA ${notSystem} AND (GENERATION_EXPRESSION IS NULL OR GENERATION_EXPRESSION = '') AND EXTRA NOT LIKE '%GENERATED%'
      ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION`,
  )) {
    const key = tableKey({ schema: c.s, name: c.n });
    columns.set(key, [...(columns.get(key) ?? []), c.c]);
    if (/^(float|double)$/i.test(c.t)) floats.set(key, [...(floats.get(key) ?? []), c.c]);
  }
  const named = (sql: string) => q<{ s: string; n: string }>(sql).then((rows) => rows.map((r) => ({ schema: r.s, name: r.n })));
  return {
    schemas,
    tables: tables.map((t) => ({
      schema: t.s,
      name: t.n,
      engine: t.e,
      rows: Number(t.r ?? 0),
      bytes: Number(t.b ?? 0),
      hasPrimaryKey: keys.has(tableKey({ schema: t.s, name: t.n })),
      columns: columns.get(tableKey({ schema: t.s, name: t.n })) ?? [],
      floats: floats.get(tableKey({ schema: t.s, name: t.n })) ?? [],
    })),
    views: await named(`SELECT TABLE_SCHEMA AS s, TABLE_NAME AS n FROM information_schema.VIEWS WHERE TABLE_SCHEMA ${notSystem} ORDER BY 1, 2`),
    triggers: await named(
      `SELECT TRIGGER_SCHEMA AS s, TRIGGER_NAME AS n FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA ${notSystem}
        ORDER BY EVENT_OBJECT_SCHEMA, EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER`,
    ),
    routines: (
      await q<{ s: string; n: string; t: 'PROCEDURE' | 'FUNCTION' }>(
        `SELECT ROUTINE_SCHEMA AS s, ROUTINE_NAME AS n, ROUTINE_TYPE AS t FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA ${notSystem} ORDER BY 1, 2`,
      )
    ).map((r) => ({ schema: r.s, name: r.n, type: r.t })),
    events: await named(`SELECT EVENT_SCHEMA AS s, EVENT_NAME AS n FROM information_schema.EVENTS WHERE EVENT_SCHEMA ${notSystem} ORDER BY 1, 2`),
  };
}
