import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { sleep } from '../util/deadline';
import { pidRuns } from '../util/pids';

/** A free loopback port, chosen by the kernel, so two sandboxes never collide. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Ports sandboxes hold, one file a port naming its sandbox's directory: a server a drill or a
 * rebuild stopped keeps its port while it is down, so another sandbox starting meanwhile (tests
 * run side by side) must not be handed it by the kernel.
 */
const CLAIMS = join(tmpdir(), 'replwatch-sandbox-ports');

/** A free loopback port that no other sandbox on this machine holds, claimed for the sandbox in `dir`. */
export async function claimPort(dir: string): Promise<number> {
  mkdirSync(CLAIMS, { recursive: true });
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = await freePort();
    const claim = join(CLAIMS, String(port));
    try {
      writeFileSync(claim, dir, { flag: 'wx' });
      return port;
    } catch {
      // Held by a sandbox whose directory is gone (torn down by its reaper): free again.
      if (!existsSync(readFileSync(claim, 'utf8'))) {
        writeFileSync(claim, dir);
        return port;
      }
    }
  }
  throw new Error(`no free port unclaimed by other sandboxes (claims in ${CLAIMS})`);
}

/** The ports the sandbox in `dir` claimed, given back. */
export function releasePorts(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(CLAIMS);
  } catch {
    return;
  }
  for (const n of names) {
    const claim = join(CLAIMS, n);
    try {
      if (readFileSync(claim, 'utf8') === dir) rmSync(claim, { force: true });
    } catch {
      // gone meanwhile
    }
  }
}

/** Starts a daemon in its own process group, detached, with output to `logFile`. */
export function startDaemon(command: string, args: string[], logFile: string): number {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(command, args, { detached: true, stdio: ['ignore', fd, fd] });
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start ${command}`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

export const isAlive = pidRuns;

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** SIGCONT (a drill may have SIGSTOPped it), SIGTERM, then SIGKILL after `graceMs`. */
export async function stopProcesses(pids: number[], graceMs = 5000): Promise<void> {
  for (const pid of pids) signal(pid, 'SIGCONT');
  for (const pid of pids) signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (pids.some(isAlive) && Date.now() < deadline) await sleep(50);
  for (const pid of pids.filter(isAlive)) signal(pid, 'SIGKILL');
  while (pids.some(isAlive) && Date.now() < deadline + 2000) await sleep(20);
}

/** A sandbox process and a string its command line must contain, so a recycled pid is never signalled. */
export interface OwnedProcess {
  pid: number;
  mark: string;
}

/** Whether our process runs, is stopped (SIGSTOP: state T in /proc/PID/stat), or is gone. */
export function processState(p: OwnedProcess): 'running' | 'stopped' | 'gone' {
  if (!isOurs(p)) return 'gone';
  try {
    // The state follows the command name, which is in parentheses and may itself hold spaces.
    const stat = readFileSync(`/proc/${p.pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('T') ? 'stopped' : 'running';
  } catch {
    return 'running';
  }
}

/** True when `p.pid` still runs the process we started (Linux: its /proc cmdline carries the mark). */
export function isOurs(p: OwnedProcess): boolean {
  if (!isAlive(p.pid)) return false;
  try {
    return readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').split('\0').join(' ').includes(p.mark);
  } catch {
    return !existsSync('/proc/self/cmdline');
  }
}

const REAPER_LIST = 'reaper.list';

/** The reaper's list: `pid mark` per line, rewritten whenever a drill restarts a process. */
export function writeReaperList(dir: string, processes: OwnedProcess[]): void {
  writeFileSync(join(dir, REAPER_LIST), `${processes.map((p) => `${p.pid} ${p.mark}`).join('\n')}\n`, { mode: 0o600 });
}

/**
 * A detached shell that waits for `ownerPid` to exit and then kills the processes in the sandbox's
 * reaper list (read at that moment, checking each command line) and removes `dir`: a test run that
 * crashes, or a Ctrl-C'd `npm start` killed with -9, leaves no orphan servers.
 */
export function startReaper(ownerPid: number, dir: string, extraCleanup = ''): number {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const ours = `pids=""; while read -r pid mark; do tr '\\0' ' ' < /proc/$pid/cmdline 2>/dev/null | grep -qF -- "$mark" && pids="$pids $pid"; done < ${q(join(dir, REAPER_LIST))}`;
  const script = `while kill -0 ${ownerPid} 2>/dev/null; do sleep 0.5; done; ${ours}; if [ -n "$pids" ]; then kill -CONT $pids 2>/dev/null; kill -TERM $pids 2>/dev/null; sleep 3; kill -KILL $pids 2>/dev/null; fi; ${extraCleanup ? `${extraCleanup}; ` : ''}rm -rf ${q(dir)}`;
  const child = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' });
  child.unref();
  return child.pid ?? 0;
}
