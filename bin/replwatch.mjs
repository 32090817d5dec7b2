#!/usr/bin/env node
// Runs the TypeScript CLI directly through tsx, so `replwatch` works right after `npm ci` (and
// `npm link`) with no build step to forget.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

// Linked onto PATH, `node` is the system's, which may be older than the Node 22 the project pins
// as a dependency (package.json engines): run on that one instead, so every printed command
// behaves as it does under npm scripts.
const pinned = fileURLToPath(new URL('../node_modules/.bin/node', import.meta.url));
if (Number(process.versions.node.split('.')[0]) < 22 && existsSync(pinned) && !process.env.REPLWATCH_REEXEC) {
  // The IPC channel tells the child when this process is gone, even by SIGKILL (below).
  const child = spawn(pinned, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, REPLWATCH_REEXEC: '1' },
  });
  // A signal meant for replwatch (Ctrl-C, kill, a closed terminal) goes to the one doing the work.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  const [code, signal] = await new Promise((resolve) => child.on('exit', (c, s) => resolve([c, s])));
  process.exit(code ?? 128 + (constants.signals[signal] ?? 1));
}

if (process.env.REPLWATCH_REEXEC && process.channel) {
  // `kill -9` of the replwatch a person started (the launcher) kills the one doing the work too,
  // as it would without a launcher: a rebuild stops where it is and its lease lapses, instead of
  // going on unseen with no terminal.
  process.channel.unref();
  process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'));
}

const { register } = await import('tsx/esm/api');
register();
// A reader that went away (`replwatch check --json | head -c 10`, a closed terminal) is not an
// error of the check: what it did not take is dropped, and the exit code still tells the answer.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') throw e;
  });
}
const { main } = await import('../src/cli/main.ts');
const code = await main(process.argv);
// The answer is final once main returns: a handle some probe left open must not keep the process
// (and a shell script waiting on it) alive. On a pipe, writes are asynchronous and process.exit
// drops what the reader has not taken yet: exit once both streams have been flushed.
const flushed = (stream) => new Promise((resolve) => stream.write('', resolve));
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(code);
