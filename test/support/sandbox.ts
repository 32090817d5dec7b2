import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { sandboxDown, sandboxUp, type SandboxState } from '../../src/sandbox/sandbox';

/**
 * A sandbox of this test file's own (destructive tests must not share one). Its reaper is owned by
 * this worker process: a crashed run leaves no servers behind.
 */
export async function startSandbox(): Promise<SandboxState> {
  const dir = mkdtempSync(join(tmpdir(), 'replwatch-test-'));
  return sandboxUp({ dir, ownerPid: process.pid });
}

export async function stopSandbox(state: SandboxState | undefined): Promise<void> {
  if (state) await sandboxDown(state.dir);
}

/** Runs statements as root over a server's unix socket. */
export async function sql(state: SandboxState, server: string, statements: string): Promise<unknown[]> {
  const s = state.servers.find((x) => x.name === server);
  if (!s) throw new Error(`no server ${server}`);
  const c = await mysql.createConnection({ socketPath: s.socket, user: 'root', multipleStatements: true });
  try {
    const [rows] = await c.query(statements);
    return rows as unknown[];
  } finally {
    await c.end();
  }
}

/** Polls until `predicate` holds, or fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, predicate: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
