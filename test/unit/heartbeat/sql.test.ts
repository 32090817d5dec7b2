import { describe, expect, it } from 'vitest';
import { createEventSql, createTableSql, EVENT_NAME, quoteQualified, writeHeartbeatSql } from '../../../src/heartbeat/sql';

describe('heartbeat SQL', () => {
  it('quotes the configured db.table as two identifiers', () => {
    expect(quoteQualified('percona.heartbeat')).toBe('`percona`.`heartbeat`');
    expect(quoteQualified('my`db.hb')).toBe('`my``db`.`hb`');
  });

  it("keeps pt-heartbeat's table shape, keyed by server_id, so the two tools read each other's rows", () => {
    const sql = createTableSql('percona.heartbeat');
    expect(sql).toMatch(/^CREATE TABLE IF NOT EXISTS `percona`\.`heartbeat`/);
    for (const column of ['ts varchar(26) NOT NULL', 'server_id int unsigned NOT NULL PRIMARY KEY', 'relay_master_log_file', 'exec_master_log_pos']) {
      expect(sql).toContain(column);
    }
  });

  it('writes UTC with microseconds, as pt-heartbeat --utc does, one row per server', () => {
    const sql = writeHeartbeatSql('percona.heartbeat');
    expect(sql).toContain("DATE_FORMAT(UTC_TIMESTAMP(6), '%Y-%m-%dT%H:%i:%s.%f')");
    expect(sql).toContain('@@server_id');
    expect(sql).toContain('ON DUPLICATE KEY UPDATE ts = VALUES(ts)');
  });

  it('schedules the same write as an event in the heartbeat schema', () => {
    expect(createEventSql('percona.heartbeat', 1)).toBe(
      `CREATE EVENT IF NOT EXISTS \`percona\`.\`${EVENT_NAME}\` ON SCHEDULE EVERY 1 SECOND DO ${writeHeartbeatSql('percona.heartbeat')}`,
    );
  });
});
