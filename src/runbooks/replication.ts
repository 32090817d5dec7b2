import { query, type Connection } from '../mysql/connections';
import { sleep } from '../util/deadline';

/**
 * Polls until the replica has applied `position`, failing at once on a replication error (a
 * wrong password must not wait out the deadline). With `running`, both threads must also run.
 */
export async function waitUntilApplied(target: Connection, position: string, seconds: number, timeoutMs: number, running: boolean): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const [waited] = await query<{ w: number }>(target, 'SELECT MASTER_GTID_WAIT(?, 0.5) AS w', timeoutMs + 1000, [position]);
    const [status] = await query<Record<string, string>>(target, 'SHOW SLAVE STATUS', timeoutMs);
    const threads = `IO ${status?.Slave_IO_Running}, SQL ${status?.Slave_SQL_Running}`;
    const error = status?.Last_IO_Error || status?.Last_SQL_Error;
    if (error) throw new Error(`replication is not running after the copy: ${threads}: ${error}`);
    // The IO thread may still be connecting (Preparing, Connecting) for a moment.
    if (Number(waited?.w) === 0 && (!running || (status?.Slave_IO_Running === 'Yes' && status.Slave_SQL_Running === 'Yes'))) return;
    if (Date.now() > deadline) throw new Error(`did not reach ${position} within ${seconds} s: ${threads}`);
    await sleep(100);
  }
}
