import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import mysql from 'mysql2/promise';
import type { SandboxState } from '../src/sandbox/sandbox';

/** Statements as root over a sandbox server's unix socket: the bench's own setup and checks. */
export async function root(sb: SandboxState, name: string, statements: string): Promise<Array<Record<string, unknown>>> {
  const c = await mysql.createConnection({ socketPath: sb.servers.find((s) => s.name === name)!.socket, user: 'root', multipleStatements: true });
  try {
    const [rows] = await c.query(statements);
    return rows as Array<Record<string, unknown>>;
  } finally {
    await c.end();
  }
}

/** A peer's pipeline through bash (pipefail: a failing stage fails it), timed. */
export function shell(script: string, timeoutMs = 1_800_000): { ok: boolean; ms: number; err: string } {
  const t = performance.now();
  const r = spawnSync('bash', ['-o', 'pipefail', '-c', script], { encoding: 'utf8', timeout: timeoutMs });
  return { ok: r.status === 0, ms: performance.now() - t, err: (r.stderr ?? '').slice(-400) };
}

/**
 * Peers come from Debian's packages, installed on demand as root (like the sandbox's own
 * binaries); elsewhere the bench prints the install command and skips that comparison.
 */
export function ensureDebianTool(path: string, pkg: string): string | undefined {
  if (existsSync(path)) return path;
  if (process.getuid?.() === 0 && existsSync('/etc/debian_version')) {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env });
    spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', pkg], { stdio: 'ignore', env });
    if (existsSync(path)) return path;
  }
  console.log(`  (skipped: ${path} missing; install with: sudo apt-get install -y ${pkg})`);
  return undefined;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function printTable(rows: string[][]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  for (const r of rows) console.log(`  ${r.map((c, i) => c.padEnd(widths[i]!)).join('  ')}`);
}
