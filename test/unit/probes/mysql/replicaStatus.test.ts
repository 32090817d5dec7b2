import { describe, expect, it } from 'vitest';
import { normaliseStatusRow, replicaStatusStatement, type StatusRow } from '../../../../src/probes/mysql/replicaStatus';
import type { ReplicationChannel } from '../../../../src/model/observations';
import * as mariadb1011 from '../../../fixtures/replica-status/mariadb-10.11';
import * as mysql57 from '../../../fixtures/replica-status/mysql-5.7';
import * as mysql80 from '../../../fixtures/replica-status/mysql-8.0';
import * as mysql84 from '../../../fixtures/replica-status/mysql-8.4';

/*
 * The rows are full captured result rows, one file per server flavour in
 * test/fixtures/replica-status/ (where each came from is noted there); each test starts from one
 * and overrides only the columns it is about.
 */

// The other states of the captured replicas, each the columns that make it so.

/** The same 8.4 replica an hour into a deliberate SOURCE_DELAY, on a named channel, lagging. */
const mysql84Delayed: StatusRow = {
  ...mysql84.healthy,
  Seconds_Behind_Source: '1815',
  SQL_Delay: '3600',
  Retrieved_Gtid_Set: '73f86016-978b-11ee-ade5-8d2a2a562feb:1-212',
  Channel_Name: 'reporting',
};

/** STOP REPLICA on a healthy 8.4 replica: both threads No, no error, lag unknown. */
const mysql84Stopped: StatusRow = {
  ...mysql84.healthy,
  Replica_IO_Running: 'No',
  Replica_SQL_Running: 'No',
  Seconds_Behind_Source: null,
};

/**
 * A 5.7 multi-source replica's second channel: file/position replication, 42 s behind (after the
 * 5.7 manual's multi-source example: channel source_1, UUID 046e41f8-...).
 */
const mysql57Channel: StatusRow = {
  ...mysql57.healthy,
  Master_Host: '192.168.2.62',
  Master_Port: '3307',
  Seconds_Behind_Master: '42',
  Master_Server_Id: '2',
  Master_UUID: '046e41f8-a223-11e4-a975-0811960cc264',
  Retrieved_Gtid_Set: '',
  Auto_Position: '0',
  Channel_Name: 'source_1',
};

/** A MariaDB connection created with CHANGE MASTER and started, but whose master was never reached. */
const mariadbNeverConnected: StatusRow = {
  ...mariadb1011.dc1Healthy,
  Connection_name: 'dc3',
  Master_Host: '10.0.3.10',
  Slave_IO_Running: 'Connecting',
  Seconds_Behind_Master: null,
  Last_IO_Errno: '2003',
  Last_IO_Error:
    "error connecting to master 'repl@10.0.3.10:3306' - retry-time: 60  maximum-retries: 100000  message: Can't connect to server on '10.0.3.10' (111 \"Connection refused\")",
  Master_Server_Id: '0',
  Gtid_IO_Pos: '',
};

// ---------------------------------------------------------------------------------------------
// mysql2 returns integer columns (LONG/LONGLONG) as JS numbers by default; as strings with
// supportBigNumbers+bigNumberStrings or through some proxies. Both must normalise identically.
// ---------------------------------------------------------------------------------------------

const NUMERIC_COLUMNS = new Set([
  'Source_Port',
  'Master_Port',
  'Connect_Retry',
  'Read_Source_Log_Pos',
  'Read_Master_Log_Pos',
  'Relay_Log_Pos',
  'Last_Errno',
  'Skip_Counter',
  'Exec_Source_Log_Pos',
  'Exec_Master_Log_Pos',
  'Relay_Log_Space',
  'Until_Log_Pos',
  'Seconds_Behind_Source',
  'Seconds_Behind_Master',
  'Last_IO_Errno',
  'Last_SQL_Errno',
  'Source_Server_Id',
  'Master_Server_Id',
  'SQL_Delay',
  'SQL_Remaining_Delay',
  'Source_Retry_Count',
  'Master_Retry_Count',
  'Auto_Position',
  'Get_Source_public_key',
  'Get_master_public_key',
  'Slave_DDL_Groups',
  'Slave_Non_Transactional_Groups',
  'Slave_Transactional_Groups',
  'Retried_transactions',
  'Max_relay_log_size',
  'Executed_log_entries',
  'Slave_received_heartbeats',
  'Slave_heartbeat_period',
]);

function withNumbers(row: StatusRow): StatusRow {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, NUMERIC_COLUMNS.has(k) && typeof v === 'string' && v !== '' ? Number(v) : v]));
}

const valueForms: Array<[string, (row: StatusRow) => StatusRow]> = [
  ['integer columns as strings', (row) => row],
  ['integer columns as numbers', withNumbers],
];

// ---------------------------------------------------------------------------------------------

/** Both threads running, no errors: what most expectations share. */
const bothRunning = { ioRunning: true, ioState: 'Yes', sqlRunning: true, ioErrno: 0, ioError: '', sqlErrno: 0, sqlError: '' };

describe.each(valueForms)('normaliseStatusRow (%s)', (_form, shape) => {
  const norm = (row: StatusRow): ReplicationChannel => normaliseStatusRow(shape(row));

  describe('MySQL 8.4 SHOW REPLICA STATUS', () => {
    it('normalises a healthy GTID auto-position replica on the default channel', () => {
      expect(norm(mysql84.healthy)).toEqual({
        name: '',
        sourceHost: '127.0.0.1',
        sourcePort: 13000,
        sourceServerId: 1,
        sourceUuid: '73f86016-978b-11ee-ade5-8d2a2a562feb',
        ...bothRunning,
        secondsBehind: 0,
        sqlDelay: 0,
        usingGtid: true,
        receivedGtids: '73f86016-978b-11ee-ade5-8d2a2a562feb:1-3',
      } satisfies ReplicationChannel);
    });

    it('keeps the channel name, the lag and the configured SQL_Delay of a delayed replica', () => {
      expect(norm(mysql84Delayed)).toEqual({
        name: 'reporting',
        sourceHost: '127.0.0.1',
        sourcePort: 13000,
        sourceServerId: 1,
        sourceUuid: '73f86016-978b-11ee-ade5-8d2a2a562feb',
        ...bothRunning,
        secondsBehind: 1815,
        sqlDelay: 3600,
        usingGtid: true,
        receivedGtids: '73f86016-978b-11ee-ade5-8d2a2a562feb:1-212',
      } satisfies ReplicationChannel);
    });

    it('reports a cleanly stopped replica: both threads No, no error, lag unknown', () => {
      expect(norm(mysql84Stopped)).toEqual({
        name: '',
        sourceHost: '127.0.0.1',
        sourcePort: 13000,
        sourceServerId: 1,
        sourceUuid: '73f86016-978b-11ee-ade5-8d2a2a562feb',
        ioRunning: false,
        ioState: 'No',
        sqlRunning: false,
        ioErrno: 0,
        ioError: '',
        sqlErrno: 0,
        sqlError: '',
        secondsBehind: null,
        sqlDelay: 0,
        usingGtid: true,
        receivedGtids: '73f86016-978b-11ee-ade5-8d2a2a562feb:1-3',
      } satisfies ReplicationChannel);
    });
  });

  describe('MySQL 8 IO thread Connecting with errno 2003', () => {
    const expected: ReplicationChannel = {
      name: '',
      sourceHost: '10.200.1.110',
      sourcePort: 3306,
      sourceServerId: null, // Source_Server_Id 0: never connected
      sourceUuid: null, // Source_UUID '': never connected
      ioRunning: false,
      ioState: 'Connecting',
      sqlRunning: true,
      ioErrno: 2003,
      ioError: mysql80.connectError,
      sqlErrno: 0,
      sqlError: '',
      secondsBehind: null,
      sqlDelay: 0,
      usingGtid: false,
      receivedGtids: '',
    };

    it('from SHOW REPLICA STATUS (Source_/Replica_ columns)', () => {
      expect(norm(mysql80.connectingReplicaColumns)).toEqual(expected);
    });

    it('from SHOW SLAVE STATUS on 8.0 (Master_/Slave_ columns), identically', () => {
      expect(norm(mysql80.connectingSlaveColumns)).toEqual(expected);
    });
  });

  describe('MySQL 5.7 SHOW SLAVE STATUS', () => {
    it('normalises a healthy GTID replica on the default channel', () => {
      expect(norm(mysql57.healthy)).toEqual({
        name: '',
        sourceHost: '192.168.2.61',
        sourcePort: 3306,
        sourceServerId: 1,
        sourceUuid: '03fde241-9a55-11e8-aa12-000c291f013a',
        ...bothRunning,
        secondsBehind: 0,
        sqlDelay: 0,
        usingGtid: true,
        receivedGtids: '03fde241-9a55-11e8-aa12-000c291f013a:4-5',
      } satisfies ReplicationChannel);
    });

    it('normalises a named multi-source channel using file/position (Auto_Position 0)', () => {
      expect(norm(mysql57Channel)).toEqual({
        name: 'source_1',
        sourceHost: '192.168.2.62',
        sourcePort: 3307,
        sourceServerId: 2,
        sourceUuid: '046e41f8-a223-11e4-a975-0811960cc264',
        ...bothRunning,
        secondsBehind: 42,
        sqlDelay: 0,
        usingGtid: false,
        receivedGtids: '',
      } satisfies ReplicationChannel);
    });
  });

  describe('MariaDB 10.11 SHOW ALL SLAVES STATUS with two connections', () => {
    it('normalises each row on its own: dc1 healthy, dc2 stopped on a 1062', () => {
      expect([mariadb1011.dc1Healthy, mariadb1011.dc2Broken].map(norm)).toEqual([
        {
          name: 'dc1',
          sourceHost: '10.0.1.10',
          sourcePort: 3306,
          sourceServerId: 101,
          sourceUuid: null, // MariaDB has no Master_UUID column
          ...bothRunning,
          secondsBehind: 0,
          sqlDelay: 0,
          usingGtid: true,
          receivedGtids: '1-101-5123',
        },
        {
          name: 'dc2',
          sourceHost: '10.0.2.10',
          sourcePort: 3307,
          sourceServerId: 201,
          sourceUuid: null,
          ioRunning: true,
          ioState: 'Yes',
          sqlRunning: false,
          ioErrno: 0,
          ioError: '',
          sqlErrno: 1062,
          sqlError: mariadb1011.dupKeyError,
          secondsBehind: null,
          sqlDelay: 0,
          usingGtid: true,
          receivedGtids: '2-201-97',
        },
      ] satisfies ReplicationChannel[]);
    });

    it('maps Master_Server_Id 0 (before the first connect) to a null source server id', () => {
      expect(norm(mariadbNeverConnected)).toEqual({
        name: 'dc3',
        sourceHost: '10.0.3.10',
        sourcePort: 3306,
        sourceServerId: null,
        sourceUuid: null,
        ioRunning: false,
        ioState: 'Connecting',
        sqlRunning: true,
        ioErrno: 2003,
        ioError:
          "error connecting to master 'repl@10.0.3.10:3306' - retry-time: 60  maximum-retries: 100000  message: Can't connect to server on '10.0.3.10' (111 \"Connection refused\")",
        sqlErrno: 0,
        sqlError: '',
        secondsBehind: null,
        sqlDelay: 0,
        usingGtid: true,
        receivedGtids: '',
      } satisfies ReplicationChannel);
    });

    it.each([
      ['No', false],
      ['Slave_Pos', true],
      ['Current_Pos', true],
    ])('reads Using_Gtid %s as usingGtid %s', (mode, expected) => {
      expect(norm({ ...mariadb1011.dc1Healthy, Using_Gtid: mode }).usingGtid).toBe(expected);
    });
  });
});

describe('normaliseStatusRow edge cases', () => {
  it('reads Buffer values (binary collations) as UTF-8 text', () => {
    const row = { ...mariadb1011.dc1Healthy, Connection_name: Buffer.from('dc1'), Master_Host: Buffer.from('10.0.1.10') };
    const c = normaliseStatusRow(row);
    expect(c.name).toBe('dc1');
    expect(c.sourceHost).toBe('10.0.1.10');
  });

  it('does not mistake a lag of 0 for unknown, nor NULL for 0', () => {
    expect(normaliseStatusRow({ ...mysql84.healthy, Seconds_Behind_Source: 0 }).secondsBehind).toBe(0);
    expect(normaliseStatusRow({ ...mysql84.healthy, Seconds_Behind_Source: '0' }).secondsBehind).toBe(0);
    expect(normaliseStatusRow({ ...mysql84.healthy, Seconds_Behind_Source: null }).secondsBehind).toBeNull();
  });

  it('reads the GTIDs a channel received as one set, without the newlines MySQL prints after commas', () => {
    const multi = '03fde241-9a55-11e8-aa12-000c291f013a:1-5,\n73f86016-978b-11ee-ade5-8d2a2a562feb:1-3';
    expect(normaliseStatusRow({ ...mysql84.healthy, Retrieved_Gtid_Set: multi }).receivedGtids).toBe(
      '03fde241-9a55-11e8-aa12-000c291f013a:1-5,73f86016-978b-11ee-ade5-8d2a2a562feb:1-3',
    );
    expect(normaliseStatusRow({ ...mariadb1011.dc1Healthy, Gtid_IO_Pos: '0-1-18,5-3-3' }).receivedGtids).toBe('0-1-18,5-3-3');
    expect(normaliseStatusRow({ ...mariadb1011.dc1Healthy, Gtid_IO_Pos: null }).receivedGtids).toBe('');
  });

  it('reads MySQL Auto_Position 0 as not using GTID even with gtid sets present', () => {
    expect(normaliseStatusRow({ ...mysql84.healthy, Auto_Position: '0' }).usingGtid).toBe(false);
    expect(normaliseStatusRow({ ...mysql84.healthy, Auto_Position: 0 }).usingGtid).toBe(false);
  });
});

describe('replicaStatusStatement', () => {
  it.each([
    ['mariadb', '10.11.6-MariaDB-log', 'SHOW ALL SLAVES STATUS'],
    ['mariadb', '10.5.23-MariaDB', 'SHOW ALL SLAVES STATUS'],
    ['mariadb', '11.4.2-MariaDB', 'SHOW ALL SLAVES STATUS'],
    ['mysql', '5.7.44-log', 'SHOW SLAVE STATUS'],
    ['mysql', '5.7.44-48-log', 'SHOW SLAVE STATUS'],
    ['mysql', '8.0.21', 'SHOW SLAVE STATUS'],
    ['mysql', '8.0.21-0ubuntu0.20.04.4', 'SHOW SLAVE STATUS'],
    ['mysql', '8.0.22', 'SHOW REPLICA STATUS'],
    ['mysql', '8.0.36-28', 'SHOW REPLICA STATUS'],
    ['mysql', '8.4.3', 'SHOW REPLICA STATUS'],
    ['mysql', '9.1.0', 'SHOW REPLICA STATUS'],
  ] as const)('%s %s -> %s', (flavor, version, statement) => {
    expect(replicaStatusStatement(flavor, version)).toBe(statement);
  });
});
