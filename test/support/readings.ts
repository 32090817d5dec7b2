import type { ReplicationChannel } from '../../src/model/observations';

/** A healthy GTID replication channel from 10.0.0.1:3306 (server_id 1), with `over` applied. */
export const channel = (over: Partial<ReplicationChannel> = {}): ReplicationChannel => ({
  name: '',
  sourceHost: '10.0.0.1',
  sourcePort: 3306,
  sourceServerId: 1,
  sourceUuid: null,
  ioRunning: true,
  ioState: 'Yes',
  sqlRunning: true,
  ioErrno: 0,
  ioError: '',
  sqlErrno: 0,
  sqlError: '',
  secondsBehind: 0,
  sqlDelay: 0,
  usingGtid: true,
  receivedGtids: '',
  ...over,
});
