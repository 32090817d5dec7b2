/**
 * What a monitor's account may hold: REPLICATION CLIENT (BINLOG MONITOR in MariaDB 10.5+),
 * SLAVE/REPLICA MONITOR and USAGE on *.*, and SELECT on the heartbeat table. Anything else
 * (SUPER, writes, DDL, PROCESS, which shows every session's statements) is more than a read-only
 * monitor needs, and would let a compromised monitor do harm or read what it should not.
 */
const GLOBAL = new Set(['USAGE', 'REPLICATION CLIENT', 'BINLOG MONITOR', 'SLAVE MONITOR', 'REPLICA MONITOR']);

/** Fine on a schema or table (the heartbeat); on *.* they read every application table. */
const SCOPED = new Set(['SELECT', 'SHOW VIEW']);

/** Privileges named in SHOW GRANTS lines that a monitor does not need. */
export function excessPrivileges(grantLines: string[]): string[] {
  const excess = new Set<string>();
  for (const line of grantLines) {
    const m = /^GRANT\s+(.+?)\s+ON\s+(.+?)\s+TO\s+/i.exec(line);
    if (!m || /^PROXY$/i.test(m[1]!.trim())) continue;
    if (/WITH\s+GRANT\s+OPTION/i.test(line) || /WITH\s+ADMIN\s+OPTION/i.test(line)) excess.add('GRANT OPTION');
    const everything = m[2]!.trim() === '*.*';
    // Column lists such as SELECT (`a`, `b`) contain commas: drop them before splitting.
    for (const raw of m[1]!.replace(/\([^)]*\)/g, '').split(',')) {
      const priv = raw.trim().toUpperCase().replace(/\s+/g, ' ');
      if (!priv || GLOBAL.has(priv)) continue;
      // Role grants (GRANT `role` TO user) have no ON clause and never reach here.
      if (!SCOPED.has(priv)) excess.add(priv);
      else if (everything) excess.add(`${priv} ON *.*`);
    }
  }
  return [...excess];
}
