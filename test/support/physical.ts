import { expect } from 'vitest';
import type { SandboxState } from '../../src/sandbox/sandbox';
import { sql, waitFor } from './sandbox';

/** What a physical rebuild must leave, checked against the sandbox `current()` returns. */
export function physicalChecks(current: () => SandboxState) {
  /** CHECKSUM TABLE of every table outside the system schemas, by name. */
  async function checksums(server: string): Promise<Record<string, string>> {
    const sb = current();
    const tables = (await sql(
      sb,
      server,
      "SELECT CONCAT('`', TABLE_SCHEMA, '`.`', TABLE_NAME, '`') AS t FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE' AND TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys') ORDER BY 1",
    )) as Array<{ t: string }>;
    const rows = (await sql(sb, server, `CHECKSUM TABLE ${tables.map((x) => x.t).join(', ')}`)) as Array<{ Table: string; Checksum: string }>;
    return Object.fromEntries(rows.map((r) => [r.Table, String(r.Checksum)]));
  }

  return {
    /** The primary stops writing for a moment (its heartbeat event), so both sides can be compared at one position. */
    async identicalToPrimary(replica: string): Promise<void> {
      const sb = current();
      await sql(sb, 'sandbox-primary', 'SET GLOBAL event_scheduler = OFF');
      try {
        const { pos } = ((await sql(sb, 'sandbox-primary', 'SELECT @@gtid_binlog_pos AS pos')) as Array<{ pos: string }>)[0]!;
        await sql(sb, replica, `SELECT MASTER_GTID_WAIT('${pos}', 30)`);
        expect(await checksums(replica)).toEqual(await checksums('sandbox-primary'));
      } finally {
        await sql(sb, 'sandbox-primary', 'SET GLOBAL event_scheduler = ON');
      }
    },

    async replicating(replica: string): Promise<void> {
      const sb = current();
      const [status] = (await sql(sb, replica, 'SHOW SLAVE STATUS')) as Array<Record<string, string>>;
      expect([status!.Slave_IO_Running, status!.Slave_SQL_Running, status!.Last_SQL_Error]).toEqual(['Yes', 'Yes', '']);
      const { ro } = ((await sql(sb, replica, 'SELECT @@read_only AS ro')) as Array<{ ro: number }>)[0]!;
      expect(ro).toBe(1);
    },

    /** Only the primary's own server_id in its GTID state: the rebuild wrote nothing there. */
    async primaryUntouched(): Promise<void> {
      const { s } = ((await sql(current(), 'sandbox-primary', 'SELECT @@gtid_binlog_state AS s')) as Array<{ s: string }>)[0]!;
      expect(s.split(',').map((g) => g.split('-')[1])).toEqual(['1']);
    },

    /** The tables the rebuilds copy: `broken` for breakReplica, and `rows` rows of 180 bytes in `big`. */
    async seed(rows: number): Promise<void> {
      await sql(
        current(),
        'sandbox-primary',
        `USE app;
         CREATE TABLE broken (id INT PRIMARY KEY);
         CREATE TABLE big (id INT PRIMARY KEY, v VARCHAR(200));
         INSERT INTO big SELECT seq, REPEAT('p', 180) FROM seq_1_to_${rows};`,
      );
    },

    /** Breaks a replica: a row of its own where the primary then writes the same key (an errant transaction, replication stopped). */
    async breakReplica(replica: string, id: number): Promise<void> {
      const sb = current();
      await sql(sb, replica, `SET GLOBAL read_only = 0; INSERT INTO app.broken VALUES (${id}); SET GLOBAL read_only = 1`);
      await sql(sb, 'sandbox-primary', `INSERT INTO app.broken VALUES (${id})`);
      await waitFor(
        'replication to break',
        async () => ((await sql(sb, replica, 'SHOW SLAVE STATUS')) as Array<{ Slave_SQL_Running: string }>)[0]!.Slave_SQL_Running === 'No',
        20_000,
      );
    },
  };
}
