import { clusterServers, type Config } from '../config/schema';
import type { Finding } from '../model/findings';

/**
 * The endpoint (`host:port`, host lower-cased) a finding is about, for inhibition: a MySQL target
 * is a config name, a memcache or network target is its `host:port` already. By endpoint, never by
 * host alone: a probe to one port proves nothing of the others on that address (another service,
 * another security-group rule). Built once per config.
 */
export function endpointResolver(config: Config): (f: Finding) => string | undefined {
  const mysql = new Map<string, string>();
  for (const c of config.clusters) for (const s of clusterServers(c)) mysql.set(`${c.name}/${s.name}`, endpointKey(s.host, s.port));
  return (f) => {
    const named = mysql.get(`${f.cluster}/${f.target}`);
    if (named) return named;
    const m = /^([^\s:]+):(\d+)$/.exec(f.target);
    return m ? endpointKey(m[1]!, Number(m[2])) : undefined;
  };
}

const endpointKey = (host: string, port: number) => `${host.toLowerCase()}:${port}`;
