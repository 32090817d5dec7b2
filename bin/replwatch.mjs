#!/usr/bin/env node
// Runs the TypeScript CLI directly through tsx, so `npx replwatch` works right after `npm ci`
// with no build step to forget.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
const code = await main(process.argv);
// The answer is final once main returns: a handle some probe left open must not keep the process
// (and a shell script waiting on it) alive. Exit once what was written has been flushed.
process.stdout.write('', () => process.exit(code));
