/**
 * What a monitor's account may hold: REPLICATION CLIENT (BINLOG MONITOR in MariaDB 10.5+),
 * SLAVE/REPLICA MONITOR, USAGE, and SELECT (the heartbeat table). Anything else (SUPER, writes,
 * DDL) is more than a read-only monitor needs, and would let a compromised monitor do harm.
 */
const ALLOWED = new Set([
  'USAGE',
  'REPLICATION CLIENT',
  'BINLOG MONITOR',
  'SLAVE MONITOR',
  'REPLICA MONITOR',
  'SELECT',
  'PROCESS',
  'SHOW VIEW',
]);

/** Privileges named in SHOW GRANTS lines that a monitor does not need. */
export function excessPrivileges(grantLines: string[]): string[] {
  const excess = new Set<string>();
  for (const line of grantLines) {
    const m = /^GRANT\s+(.+?)\s+ON\s+/i.exec(line);
    if (!m || /^PROXY$/i.test(m[1]!.trim())) continue;
    if (/WITH\s+GRANT\s+OPTION/i.test(line) || /WITH\s+ADMIN\s+OPTION/i.test(line)) excess.add('GRANT OPTION');
    // Column lists such as SELECT (`a`, `b`) contain commas: drop them before splitting.
    for (const raw of m[1]!.replace(/\([^)]*\)/g, '').split(',')) {
      const priv = raw.trim().toUpperCase().replace(/\s+/g, ' ');
      if (!priv || ALLOWED.has(priv)) continue;
      // Role grants (GRANT `role` TO user) have no ON clause and never reach here.
      excess.add(priv);
    }
  }
  return [...excess];
}
