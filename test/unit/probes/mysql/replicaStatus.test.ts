import { describe, expect, it } from 'vitest';
import { normaliseStatusRow, replicaStatusStatement, type StatusRow } from '../../../../src/probes/mysql/replicaStatus';
import type { ReplicationChannel } from '../../../../src/model/observations';

/*
 * Fixtures are full result rows, every column in server order, shaped the way mysql2 hands them
 * over: column name -> string, SQL NULL -> null. Where they came from:
 *  - MySQL 8.4 SHOW REPLICA STATUS: the sample row in the MySQL reference manual (SHOW REPLICA
 *    STATUS statement, 8.4/9.x), same 62 columns ending in Network_Namespace.
 *  - MySQL 8.0 "Connecting" / 2003 row: a captured `SHOW SLAVE STATUS\G` from an 8.0.2x replica
 *    whose source was unreachable (Slave_IO_State "Connecting to source", Master_Server_Id 0,
 *    empty Master_UUID, "Error connecting to source ... attempt 2/86400 ... (110)"); also
 *    reproduced under the SHOW REPLICA STATUS (Source_/Replica_) column names 8.0.22+ uses.
 *  - MySQL 5.7 SHOW SLAVE STATUS: a captured 5.7 GTID replica (Auto_Position 1, last column
 *    Master_TLS_Version, Master_Info_File /mysql1/data/master.info); the multi-source channel
 *    row follows the 5.7 manual's multi-source example (channel source_1, UUID 046e41f8-...).
 *  - MariaDB SHOW ALL SLAVES STATUS: column set of a captured 10.5+ multi-source row
 *    (Connection_name, Slave_SQL_State, ..., Slave_DDL_Groups, ..., Gtid_Slave_Pos) plus
 *    Replicate_Rewrite_DB, which 10.11 adds after Slave_SQL_Running; the 1062 error text is the
 *    MariaDB row-event form ("Could not execute Write_rows_v1 event ... Error_code: 1062;
 *    handler error HA_ERR_FOUND_DUPP_KEY ...") from a captured MariaDB replica.
 */

// ---------------------------------------------------------------------------------------------
// MySQL 8.4 SHOW REPLICA STATUS
// ---------------------------------------------------------------------------------------------

const mysql84Healthy: StatusRow = {
  Replica_IO_State: 'Waiting for source to send event',
  Source_Host: '127.0.0.1',
  Source_User: 'root',
  Source_Port: '13000',
  Connect_Retry: '1',
  Source_Log_File: 'master-bin.000001',
  Read_Source_Log_Pos: '927',
  Relay_Log_File: 'slave-relay-bin.000002',
  Relay_Log_Pos: '1145',
  Relay_Source_Log_File: 'master-bin.000001',
  Replica_IO_Running: 'Yes',
  Replica_SQL_Running: 'Yes',
  Replicate_Do_DB: '',
  Replicate_Ignore_DB: '',
  Replicate_Do_Table: '',
  Replicate_Ignore_Table: '',
  Replicate_Wild_Do_Table: '',
  Replicate_Wild_Ignore_Table: '',
  Last_Errno: '0',
  Last_Error: '',
  Skip_Counter: '0',
  Exec_Source_Log_Pos: '927',
  Relay_Log_Space: '1355',
  Until_Condition: 'None',
  Until_Log_File: '',
  Until_Log_Pos: '0',
  Source_SSL_Allowed: 'No',
  Source_SSL_CA_File: '',
  Source_SSL_CA_Path: '',
  Source_SSL_Cert: '',
  Source_SSL_Cipher: '',
  Source_SSL_Key: '',
  Seconds_Behind_Source: '0',
  Source_SSL_Verify_Server_Cert: 'No',
  Last_IO_Errno: '0',
  Last_IO_Error: '',
  Last_SQL_Errno: '0',
  Last_SQL_Error: '',
  Replicate_Ignore_Server_Ids: '',
  Source_Server_Id: '1',
  Source_UUID: '73f86016-978b-11ee-ade5-8d2a2a562feb',
  Source_Info_File: 'mysql.slave_master_info',
  SQL_Delay: '0',
  SQL_Remaining_Delay: null,
  Replica_SQL_Running_State: 'Replica has read all relay log; waiting for more updates',
  Source_Retry_Count: '10',
  Source_Bind: '',
  Last_IO_Error_Timestamp: '',
  Last_SQL_Error_Timestamp: '',
  Source_SSL_Crl: '',
  Source_SSL_Crlpath: '',
  Retrieved_Gtid_Set: '73f86016-978b-11ee-ade5-8d2a2a562feb:1-3',
  Executed_Gtid_Set: '73f86016-978b-11ee-ade5-8d2a2a562feb:1-3',
  Auto_Position: '1',
  Replicate_Rewrite_DB: '',
  Channel_Name: '',
  Source_TLS_Version: '',
  Source_public_key_path: '',
  Get_Source_public_key: '0',
  Network_Namespace: '',
};

/** The same 8.4 replica an hour into a deliberate SOURCE_DELAY, on a named channel, lagging. */
const mysql84Delayed: StatusRow = {
  ...mysql84Healthy,
  Read_Source_Log_Pos: '48213',
  Relay_Log_Pos: '20011',
  Exec_Source_Log_Pos: '19793',
  Relay_Log_Space: '48641',
  Seconds_Behind_Source: '1815',
  SQL_Delay: '3600',
  SQL_Remaining_Delay: '1785',
  Replica_SQL_Running_State: 'Waiting until SOURCE_DELAY seconds after source executed event',
  Retrieved_Gtid_Set: '73f86016-978b-11ee-ade5-8d2a2a562feb:1-212',
  Executed_Gtid_Set: '73f86016-978b-11ee-ade5-8d2a2a562feb:1-97',
  Channel_Name: 'reporting',
};

/** STOP REPLICA on a healthy 8.4 replica: both threads No, no error, lag unknown. */
const mysql84Stopped: StatusRow = {
  ...mysql84Healthy,
  Replica_IO_State: '',
  Replica_IO_Running: 'No',
  Replica_SQL_Running: 'No',
  Seconds_Behind_Source: null,
  Replica_SQL_Running_State: '',
};

// ---------------------------------------------------------------------------------------------
// MySQL 8.0: IO thread Connecting, errno 2003, source never reached
// ---------------------------------------------------------------------------------------------

const connectError =
  "Error connecting to source 'repl@10.200.1.110:3306'. This was attempt 2/86400, with a delay of 60 seconds between attempts. Message: Can't connect to MySQL server on '10.200.1.110:3306' (110)";

/** As captured: `SHOW SLAVE STATUS` on 8.0 (Master_/Slave_ column names). */
const mysql80ConnectingSlaveColumns: StatusRow = {
  Slave_IO_State: 'Connecting to source',
  Master_Host: '10.200.1.110',
  Master_User: 'repl',
  Master_Port: '3306',
  Connect_Retry: '60',
  Master_Log_File: 'mysql-bin.000221',
  Read_Master_Log_Pos: '2115',
  Relay_Log_File: 'dbubuntu-relay-bin.000001',
  Relay_Log_Pos: '4',
  Relay_Master_Log_File: 'mysql-bin.000221',
  Slave_IO_Running: 'Connecting',
  Slave_SQL_Running: 'Yes',
  Replicate_Do_DB: '',
  Replicate_Ignore_DB: '',
  Replicate_Do_Table: '',
  Replicate_Ignore_Table: '',
  Replicate_Wild_Do_Table: '',
  Replicate_Wild_Ignore_Table: '',
  Last_Errno: '0',
  Last_Error: '',
  Skip_Counter: '0',
  Exec_Master_Log_Pos: '2115',
  Relay_Log_Space: '157',
  Until_Condition: 'None',
  Until_Log_File: '',
  Until_Log_Pos: '0',
  Master_SSL_Allowed: 'No',
  Master_SSL_CA_File: '',
  Master_SSL_CA_Path: '',
  Master_SSL_Cert: '',
  Master_SSL_Cipher: '',
  Master_SSL_Key: '',
  Seconds_Behind_Master: null,
  Master_SSL_Verify_Server_Cert: 'No',
  Last_IO_Errno: '2003',
  Last_IO_Error: connectError,
  Last_SQL_Errno: '0',
  Last_SQL_Error: '',
  Replicate_Ignore_Server_Ids: '',
  Master_Server_Id: '0',
  Master_UUID: '',
  Master_Info_File: 'mysql.slave_master_info',
  SQL_Delay: '0',
  SQL_Remaining_Delay: null,
  Slave_SQL_Running_State: 'Replica has read all relay log; waiting for more updates',
  Master_Retry_Count: '86400',
  Master_Bind: '',
  Last_IO_Error_Timestamp: '230707 05:23:04',
  Last_SQL_Error_Timestamp: '',
  Master_SSL_Crl: '',
  Master_SSL_Crlpath: '',
  Retrieved_Gtid_Set: '',
  Executed_Gtid_Set: '',
  Auto_Position: '0',
  Replicate_Rewrite_DB: '',
  Channel_Name: '',
  Master_TLS_Version: '',
  Master_public_key_path: '',
  Get_master_public_key: '0',
  Network_Namespace: '',
};

/** The same state under SHOW REPLICA STATUS (8.0.22+ / 8.4): renamed columns, same values. */
const mysql8ConnectingReplicaColumns: StatusRow = {
  Replica_IO_State: 'Connecting to source',
  Source_Host: '10.200.1.110',
  Source_User: 'repl',
  Source_Port: '3306',
  Connect_Retry: '60',
  Source_Log_File: 'mysql-bin.000221',
  Read_Source_Log_Pos: '2115',
  Relay_Log_File: 'dbubuntu-relay-bin.000001',
  Relay_Log_Pos: '4',
  Relay_Source_Log_File: 'mysql-bin.000221',
  Replica_IO_Running: 'Connecting',
  Replica_SQL_Running: 'Yes',
  Replicate_Do_DB: '',
  Replicate_Ignore_DB: '',
  Replicate_Do_Table: '',
  Replicate_Ignore_Table: '',
  Replicate_Wild_Do_Table: '',
  Replicate_Wild_Ignore_Table: '',
  Last_Errno: '0',
  Last_Error: '',
  Skip_Counter: '0',
  Exec_Source_Log_Pos: '2115',
  Relay_Log_Space: '157',
  Until_Condition: 'None',
  Until_Log_File: '',
  Until_Log_Pos: '0',
  Source_SSL_Allowed: 'No',
  Source_SSL_CA_File: '',
  Source_SSL_CA_Path: '',
  Source_SSL_Cert: '',
  Source_SSL_Cipher: '',
  Source_SSL_Key: '',
  Seconds_Behind_Source: null,
  Source_SSL_Verify_Server_Cert: 'No',
  Last_IO_Errno: '2003',
  Last_IO_Error: connectError,
  Last_SQL_Errno: '0',
  Last_SQL_Error: '',
  Replicate_Ignore_Server_Ids: '',
  Source_Server_Id: '0',
  Source_UUID: '',
  Source_Info_File: 'mysql.slave_master_info',
  SQL_Delay: '0',
  SQL_Remaining_Delay: null,
  Replica_SQL_Running_State: 'Replica has read all relay log; waiting for more updates',
  Source_Retry_Count: '86400',
  Source_Bind: '',
  Last_IO_Error_Timestamp: '230707 05:23:04',
  Last_SQL_Error_Timestamp: '',
  Source_SSL_Crl: '',
  Source_SSL_Crlpath: '',
  Retrieved_Gtid_Set: '',
  Executed_Gtid_Set: '',
  Auto_Position: '0',
  Replicate_Rewrite_DB: '',
  Channel_Name: '',
  Source_TLS_Version: '',
  Source_public_key_path: '',
  Get_Source_public_key: '0',
  Network_Namespace: '',
};

// ---------------------------------------------------------------------------------------------
// MySQL 5.7 SHOW SLAVE STATUS
// ---------------------------------------------------------------------------------------------

const mysql57Healthy: StatusRow = {
  Slave_IO_State: 'Waiting for master to send event',
  Master_Host: '192.168.2.61',
  Master_User: 'dao',
  Master_Port: '3306',
  Connect_Retry: '60',
  Master_Log_File: 'mysql-bin.000005',
  Read_Master_Log_Pos: '1467',
  Relay_Log_File: 'node2-relay-bin.000002',
  Relay_Log_Pos: '922',
  Relay_Master_Log_File: 'mysql-bin.000005',
  Slave_IO_Running: 'Yes',
  Slave_SQL_Running: 'Yes',
  Replicate_Do_DB: '',
  Replicate_Ignore_DB: '',
  Replicate_Do_Table: '',
  Replicate_Ignore_Table: '',
  Replicate_Wild_Do_Table: '',
  Replicate_Wild_Ignore_Table: '',
  Last_Errno: '0',
  Last_Error: '',
  Skip_Counter: '0',
  Exec_Master_Log_Pos: '1467',
  Relay_Log_Space: '1129',
  Until_Condition: 'None',
  Until_Log_File: '',
  Until_Log_Pos: '0',
  Master_SSL_Allowed: 'No',
  Master_SSL_CA_File: '',
  Master_SSL_CA_Path: '',
  Master_SSL_Cert: '',
  Master_SSL_Cipher: '',
  Master_SSL_Key: '',
  Seconds_Behind_Master: '0',
  Master_SSL_Verify_Server_Cert: 'No',
  Last_IO_Errno: '0',
  Last_IO_Error: '',
  Last_SQL_Errno: '0',
  Last_SQL_Error: '',
  Replicate_Ignore_Server_Ids: '',
  Master_Server_Id: '1',
  Master_UUID: '03fde241-9a55-11e8-aa12-000c291f013a',
  Master_Info_File: '/mysql1/data/master.info',
  SQL_Delay: '0',
  SQL_Remaining_Delay: null,
  Slave_SQL_Running_State: 'Slave has read all relay log; waiting for more updates',
  Master_Retry_Count: '86400',
  Master_Bind: '',
  Last_IO_Error_Timestamp: '',
  Last_SQL_Error_Timestamp: '',
  Master_SSL_Crl: '',
  Master_SSL_Crlpath: '',
  Retrieved_Gtid_Set: '03fde241-9a55-11e8-aa12-000c291f013a:4-5',
  Executed_Gtid_Set: '03fde241-9a55-11e8-aa12-000c291f013a:1-5',
  Auto_Position: '1',
  Replicate_Rewrite_DB: '',
  Channel_Name: '',
  Master_TLS_Version: '',
};

/** A 5.7 multi-source replica's second channel: file/position replication, 42 s behind. */
const mysql57Channel: StatusRow = {
  ...mysql57Healthy,
  Master_Host: '192.168.2.62',
  Master_User: 'repl',
  Master_Port: '3307',
  Master_Log_File: 'mysql-bin.000017',
  Read_Master_Log_Pos: '88314',
  Relay_Log_File: 'node2-relay-bin-source_1.000004',
  Relay_Log_Pos: '40219',
  Relay_Master_Log_File: 'mysql-bin.000017',
  Exec_Master_Log_Pos: '40052',
  Relay_Log_Space: '88732',
  Seconds_Behind_Master: '42',
  Master_Server_Id: '2',
  Master_UUID: '046e41f8-a223-11e4-a975-0811960cc264',
  Master_Info_File: 'mysql.slave_master_info',
  Slave_SQL_Running_State: 'Reading event from the relay log',
  Retrieved_Gtid_Set: '',
  Executed_Gtid_Set: '03fde241-9a55-11e8-aa12-000c291f013a:1-5',
  Auto_Position: '0',
  Channel_Name: 'source_1',
};

// ---------------------------------------------------------------------------------------------
// MariaDB 10.11 SHOW ALL SLAVES STATUS: two multi-source connections
// ---------------------------------------------------------------------------------------------

const dupKeyError =
  "Could not execute Write_rows_v1 event on table shop.orders; Duplicate entry '1042' for key 'PRIMARY', Error_code: 1062; handler error HA_ERR_FOUND_DUPP_KEY; the event's master log mariadb-bin.000012, end_log_pos 2287";

const mariadbDc1Healthy: StatusRow = {
  Connection_name: 'dc1',
  Slave_SQL_State: 'Slave has read all relay log; waiting for more updates',
  Slave_IO_State: 'Waiting for master to send event',
  Master_Host: '10.0.1.10',
  Master_User: 'repl',
  Master_Port: '3306',
  Connect_Retry: '60',
  Master_Log_File: 'mariadb-bin.000031',
  Read_Master_Log_Pos: '771',
  Relay_Log_File: 'mysqld-relay-bin-dc1.000010',
  Relay_Log_Pos: '717',
  Relay_Master_Log_File: 'mariadb-bin.000031',
  Slave_IO_Running: 'Yes',
  Slave_SQL_Running: 'Yes',
  Replicate_Rewrite_DB: '',
  Replicate_Do_DB: '',
  Replicate_Ignore_DB: '',
  Replicate_Do_Table: '',
  Replicate_Ignore_Table: '',
  Replicate_Wild_Do_Table: '',
  Replicate_Wild_Ignore_Table: '',
  Last_Errno: '0',
  Last_Error: '',
  Skip_Counter: '0',
  Exec_Master_Log_Pos: '771',
  Relay_Log_Space: '1116',
  Until_Condition: 'None',
  Until_Log_File: '',
  Until_Log_Pos: '0',
  Master_SSL_Allowed: 'Yes',
  Master_SSL_CA_File: '',
  Master_SSL_CA_Path: '',
  Master_SSL_Cert: '',
  Master_SSL_Cipher: '',
  Master_SSL_Key: '',
  Seconds_Behind_Master: '0',
  Master_SSL_Verify_Server_Cert: 'No',
  Last_IO_Errno: '0',
  Last_IO_Error: '',
  Last_SQL_Errno: '0',
  Last_SQL_Error: '',
  Replicate_Ignore_Server_Ids: '',
  Master_Server_Id: '101',
  Master_SSL_Crl: '',
  Master_SSL_Crlpath: '',
  Using_Gtid: 'Slave_Pos',
  Gtid_IO_Pos: '1-101-5123',
  Replicate_Do_Domain_Ids: '',
  Replicate_Ignore_Domain_Ids: '',
  Parallel_Mode: 'optimistic',
  SQL_Delay: '0',
  SQL_Remaining_Delay: null,
  Slave_SQL_Running_State: 'Slave has read all relay log; waiting for more updates',
  Slave_DDL_Groups: '4',
  Slave_Non_Transactional_Groups: '0',
  Slave_Transactional_Groups: '5119',
  Retried_transactions: '0',
  Max_relay_log_size: '1073741824',
  Executed_log_entries: '15402',
  Slave_received_heartbeats: '212',
  Slave_heartbeat_period: '30.000',
  Gtid_Slave_Pos: '1-101-5123,2-201-88',
};

const mariadbDc2Broken: StatusRow = {
  Connection_name: 'dc2',
  Slave_SQL_State: '',
  Slave_IO_State: 'Waiting for master to send event',
  Master_Host: '10.0.2.10',
  Master_User: 'repl',
  Master_Port: '3307',
  Connect_Retry: '60',
  Master_Log_File: 'mariadb-bin.000012',
  Read_Master_Log_Pos: '9120',
  Relay_Log_File: 'mysqld-relay-bin-dc2.000003',
  Relay_Log_Pos: '1882',
  Relay_Master_Log_File: 'mariadb-bin.000012',
  Slave_IO_Running: 'Yes',
  Slave_SQL_Running: 'No',
  Replicate_Rewrite_DB: '',
  Replicate_Do_DB: '',
  Replicate_Ignore_DB: '',
  Replicate_Do_Table: '',
  Replicate_Ignore_Table: '',
  Replicate_Wild_Do_Table: '',
  Replicate_Wild_Ignore_Table: '',
  Last_Errno: '1062',
  Last_Error: dupKeyError,
  Skip_Counter: '0',
  Exec_Master_Log_Pos: '1995',
  Relay_Log_Space: '9701',
  Until_Condition: 'None',
  Until_Log_File: '',
  Until_Log_Pos: '0',
  Master_SSL_Allowed: 'Yes',
  Master_SSL_CA_File: '',
  Master_SSL_CA_Path: '',
  Master_SSL_Cert: '',
  Master_SSL_Cipher: '',
  Master_SSL_Key: '',
  Seconds_Behind_Master: null,
  Master_SSL_Verify_Server_Cert: 'No',
  Last_IO_Errno: '0',
  Last_IO_Error: '',
  Last_SQL_Errno: '1062',
  Last_SQL_Error: dupKeyError,
  Replicate_Ignore_Server_Ids: '',
  Master_Server_Id: '201',
  Master_SSL_Crl: '',
  Master_SSL_Crlpath: '',
  Using_Gtid: 'Slave_Pos',
  Gtid_IO_Pos: '2-201-97',
  Replicate_Do_Domain_Ids: '',
  Replicate_Ignore_Domain_Ids: '',
  Parallel_Mode: 'optimistic',
  SQL_Delay: '0',
  SQL_Remaining_Delay: null,
  Slave_SQL_Running_State: '',
  Slave_DDL_Groups: '1',
  Slave_Non_Transactional_Groups: '0',
  Slave_Transactional_Groups: '87',
  Retried_transactions: '0',
  Max_relay_log_size: '1073741824',
  Executed_log_entries: '402',
  Slave_received_heartbeats: '12',
  Slave_heartbeat_period: '30.000',
  Gtid_Slave_Pos: '1-101-5123,2-201-88',
};

/** A connection created with CHANGE MASTER and started, but whose master was never reached. */
const mariadbNeverConnected: StatusRow = {
  ...mariadbDc1Healthy,
  Connection_name: 'dc3',
  Slave_SQL_State: 'Slave has read all relay log; waiting for more updates',
  Slave_IO_State: 'Connecting to master',
  Master_Host: '10.0.3.10',
  Master_Log_File: '',
  Read_Master_Log_Pos: '4',
  Relay_Log_File: 'mysqld-relay-bin-dc3.000001',
  Relay_Log_Pos: '4',
  Relay_Master_Log_File: '',
  Slave_IO_Running: 'Connecting',
  Slave_SQL_Running: 'Yes',
  Exec_Master_Log_Pos: '4',
  Relay_Log_Space: '256',
  Seconds_Behind_Master: null,
  Last_IO_Errno: '2003',
  Last_IO_Error:
    "error connecting to master 'repl@10.0.3.10:3306' - retry-time: 60  maximum-retries: 100000  message: Can't connect to server on '10.0.3.10' (111 \"Connection refused\")",
  Master_Server_Id: '0',
  Gtid_IO_Pos: '',
  Slave_DDL_Groups: '0',
  Slave_Transactional_Groups: '0',
  Executed_log_entries: '0',
  Slave_received_heartbeats: '0',
};

// ---------------------------------------------------------------------------------------------
// mysql2 returns integer columns (LONG/LONGLONG) as JS numbers by default; as strings with
// supportBigNumbers+bigNumberStrings or through some proxies. Both must normalise identically.
// ---------------------------------------------------------------------------------------------

const NUMERIC_COLUMNS = new Set([
  'Source_Port', 'Master_Port', 'Connect_Retry', 'Read_Source_Log_Pos', 'Read_Master_Log_Pos', 'Relay_Log_Pos',
  'Last_Errno', 'Skip_Counter', 'Exec_Source_Log_Pos', 'Exec_Master_Log_Pos', 'Relay_Log_Space', 'Until_Log_Pos',
  'Seconds_Behind_Source', 'Seconds_Behind_Master', 'Last_IO_Errno', 'Last_SQL_Errno', 'Source_Server_Id',
  'Master_Server_Id', 'SQL_Delay', 'SQL_Remaining_Delay', 'Source_Retry_Count', 'Master_Retry_Count',
  'Auto_Position', 'Get_Source_public_key', 'Get_master_public_key', 'Slave_DDL_Groups',
  'Slave_Non_Transactional_Groups', 'Slave_Transactional_Groups', 'Retried_transactions', 'Max_relay_log_size',
  'Executed_log_entries', 'Slave_received_heartbeats', 'Slave_heartbeat_period',
]);

function withNumbers(row: StatusRow): StatusRow {
  return Object.fromEntries(
    Object.entries(row).map(([k, v]) => [k, NUMERIC_COLUMNS.has(k) && typeof v === 'string' && v !== '' ? Number(v) : v]),
  );
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
      expect(norm(mysql84Healthy)).toEqual({
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
      ioError: connectError,
      sqlErrno: 0,
      sqlError: '',
      secondsBehind: null,
      sqlDelay: 0,
      usingGtid: false,
      receivedGtids: '',
    };

    it('from SHOW REPLICA STATUS (Source_/Replica_ columns)', () => {
      expect(norm(mysql8ConnectingReplicaColumns)).toEqual(expected);
    });

    it('from SHOW SLAVE STATUS on 8.0 (Master_/Slave_ columns), identically', () => {
      expect(norm(mysql80ConnectingSlaveColumns)).toEqual(expected);
    });
  });

  describe('MySQL 5.7 SHOW SLAVE STATUS', () => {
    it('normalises a healthy GTID replica on the default channel', () => {
      expect(norm(mysql57Healthy)).toEqual({
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
      expect([mariadbDc1Healthy, mariadbDc2Broken].map(norm)).toEqual([
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
          sqlError: dupKeyError,
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
      expect(norm({ ...mariadbDc1Healthy, Using_Gtid: mode }).usingGtid).toBe(expected);
    });
  });
});

describe('normaliseStatusRow edge cases', () => {
  it('reads Buffer values (binary collations) as UTF-8 text', () => {
    const row = { ...mariadbDc1Healthy, Connection_name: Buffer.from('dc1'), Master_Host: Buffer.from('10.0.1.10') };
    const c = normaliseStatusRow(row);
    expect(c.name).toBe('dc1');
    expect(c.sourceHost).toBe('10.0.1.10');
  });

  it('does not mistake a lag of 0 for unknown, nor NULL for 0', () => {
    expect(normaliseStatusRow({ ...mysql84Healthy, Seconds_Behind_Source: 0 }).secondsBehind).toBe(0);
    expect(normaliseStatusRow({ ...mysql84Healthy, Seconds_Behind_Source: '0' }).secondsBehind).toBe(0);
    expect(normaliseStatusRow({ ...mysql84Healthy, Seconds_Behind_Source: null }).secondsBehind).toBeNull();
  });

  it('reads the GTIDs a channel received as one set, without the newlines MySQL prints after commas', () => {
    const multi = '03fde241-9a55-11e8-aa12-000c291f013a:1-5,\n73f86016-978b-11ee-ade5-8d2a2a562feb:1-3';
    expect(normaliseStatusRow({ ...mysql84Healthy, Retrieved_Gtid_Set: multi }).receivedGtids).toBe('03fde241-9a55-11e8-aa12-000c291f013a:1-5,73f86016-978b-11ee-ade5-8d2a2a562feb:1-3');
    expect(normaliseStatusRow({ ...mariadbDc1Healthy, Gtid_IO_Pos: '0-1-18,5-3-3' }).receivedGtids).toBe('0-1-18,5-3-3');
    expect(normaliseStatusRow({ ...mariadbDc1Healthy, Gtid_IO_Pos: null }).receivedGtids).toBe('');
  });

  it('reads MySQL Auto_Position 0 as not using GTID even with gtid sets present', () => {
    expect(normaliseStatusRow({ ...mysql84Healthy, Auto_Position: '0' }).usingGtid).toBe(false);
    expect(normaliseStatusRow({ ...mysql84Healthy, Auto_Position: 0 }).usingGtid).toBe(false);
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
