import { describe, expect, it } from 'vitest';
import { excessPrivileges } from '../../../../src/probes/mysql/grants';

describe('excessPrivileges, by scope', () => {
  it('accepts SELECT on the heartbeat table or its schema, and the sandbox grants as MariaDB prints them', () => {
    expect(
      excessPrivileges([
        "GRANT BINLOG MONITOR, SLAVE MONITOR ON *.* TO `replwatch`@`%` IDENTIFIED BY PASSWORD '*8FE86CAC40FFB12993AEE9DC4860F5361209FE09'",
        'GRANT SELECT ON `percona`.`heartbeat` TO `replwatch`@`%`',
        'GRANT SELECT, SHOW VIEW ON `percona`.* TO `replwatch`@`%`',
      ]),
    ).toEqual([]);
  });

  it('names SELECT and SHOW VIEW on *.* (every table readable), and PROCESS (every session visible)', () => {
    expect(excessPrivileges(["GRANT SELECT, PROCESS, BINLOG MONITOR, SLAVE MONITOR ON *.* TO `replwatch`@`%` IDENTIFIED BY PASSWORD '*AB'"])).toEqual([
      'SELECT ON *.*',
      'PROCESS',
    ]);
    expect(excessPrivileges(['GRANT SHOW VIEW, REPLICATION CLIENT ON *.* TO `m`@`10.0.%`'])).toEqual(['SHOW VIEW ON *.*']);
  });

  it('reads a quoted schema with spaces as a schema, not as *.*', () => {
    expect(excessPrivileges(['GRANT SELECT ON `my db`.* TO `m`@`%`'])).toEqual([]);
  });
});
