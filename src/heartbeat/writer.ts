import type { Config } from '../config/schema';
import type { SecretResolver } from '../config/secrets';
import { clusterEndpoint, type MysqlConnections } from '../mysql/connections';
import { writeHeartbeat } from './install';

export interface HeartbeatWrite {
  cluster: string;
  error?: string;
}

/** One heartbeat write on every primary that has a heartbeat table; one failure stops no other. */
export async function writeHeartbeats(config: Config, connections: MysqlConnections, secrets: SecretResolver): Promise<HeartbeatWrite[]> {
  return Promise.all(
    config.clusters
      .filter((c) => c.heartbeat)
      .map(async (c): Promise<HeartbeatWrite> => {
        const hb = c.heartbeat!;
        const ep = clusterEndpoint(c, c.primary, hb.user ?? c.user, `heartbeat/${c.name}`);
        try {
          const conn = await connections.get(ep, () => secrets.resolve(hb.password ?? c.password));
          await writeHeartbeat(conn, hb.table, c.timeoutMs);
          return { cluster: c.name };
        } catch (e) {
          connections.drop(ep);
          return { cluster: c.name, error: (e as Error).message };
        }
      }),
  );
}
