import { clusterServers, splitHostPort, type Config } from '../config/schema';
import type { Finding } from '../model/findings';

/**
 * The host a finding is about, for inhibition: a MySQL target is a config name, a memcache or
 * network target a `host:port`. Built once per config.
 */
export function hostResolver(config: Config): (f: Finding) => string | undefined {
  const mysql = new Map<string, string>();
  for (const c of config.clusters) for (const s of clusterServers(c)) mysql.set(`${c.name}/${s.name}`, s.host);
  return (f) => mysql.get(`${f.cluster}/${f.target}`) ?? (/^[^\s:]+:\d+$/.test(f.target) ? splitHostPort(f.target).host : undefined);
}
