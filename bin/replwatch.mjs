#!/usr/bin/env node
// Runs the TypeScript CLI directly through tsx, so `npx replwatch` works right after `npm ci`
// with no build step to forget.
import { register } from 'tsx/esm/api';

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
