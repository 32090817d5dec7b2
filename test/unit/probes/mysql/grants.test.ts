import { describe, expect, it } from 'vitest';
import { excessPrivileges } from '../../../../src/probes/mysql/grants';

describe('excessPrivileges', () => {
  it('accepts the least-privilege grants of MariaDB 10.11 and MySQL 8', () => {
    expect(
      excessPrivileges([
        "GRANT BINLOG MONITOR, SLAVE MONITOR ON *.* TO `replwatch`@`%` IDENTIFIED BY PASSWORD '*AB'",
        'GRANT SELECT ON `percona`.`heartbeat` TO `replwatch`@`%`',
        'GRANT REPLICATION CLIENT ON *.* TO `replwatch`@`%`',
        'GRANT USAGE ON *.* TO `replwatch`@`%`',
        'GRANT REPLICA MONITOR ON *.* TO `replwatch`@`%`',
      ]),
    ).toEqual([]);
  });
  it('lists SUPER, writes and GRANT OPTION', () => {
    expect(
      excessPrivileges([
        'GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION',
        'GRANT PROXY ON ``@`%` TO `root`@`localhost` WITH GRANT OPTION',
      ]),
    ).toEqual(['GRANT OPTION', 'ALL PRIVILEGES']);
    expect(excessPrivileges(['GRANT SUPER, REPLICATION CLIENT ON *.* TO `m`@`%`', 'GRANT SELECT, INSERT, UPDATE (`a`, `b`) ON `app`.* TO `m`@`%`'])).toEqual([
      'SUPER',
      'INSERT',
      'UPDATE',
    ]);
  });
});
