import { realpathSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { replwatchLine } from '../model/commands';

/*
 * How a command replwatch prints is spelled so that it runs as printed from any directory: the
 * program word and shell quoting. Used by every layer that prints a command (pages, plans, the
 * sandbox, the game day, state errors); cli/paths.ts adds the flags that reach a config and state.
 */

const BIN = resolve(import.meta.dirname, '..', '..', 'bin', 'replwatch.mjs');

/** npm and npx put a project's node_modules/.bin on PATH for their child only: a `replwatch` found there is not on the PATH of the person's next terminal. */
const NPM_BIN = /[\\/]node_modules[\\/]\.bin[\\/]?$/;

/**
 * The program word of a printed command, as a person can paste it in any directory of this
 * machine: `replwatch` when that is on PATH and is this checkout (`npm link`), else the path of
 * this checkout's bin, which runs from anywhere (a bare `npx replwatch` works only inside the
 * checkout and elsewhere looks the name up on the registry; `npx --prefix` is slow and warns).
 */
export function printedProgram(env: NodeJS.ProcessEnv = process.env): string {
  const mine = realpathOrUndefined(BIN);
  for (const dir of (env.PATH ?? '').split(delimiter).filter((d) => d && !NPM_BIN.test(d))) {
    const found = realpathOrUndefined(join(dir, 'replwatch'));
    if (found !== undefined) return found === mine ? 'replwatch' : shellWord(BIN);
  }
  return shellWord(BIN);
}

function realpathOrUndefined(file: string): string | undefined {
  try {
    return realpathSync(file);
  } catch {
    return undefined;
  }
}

/** `replwatch ARGS` as a person can paste it in any directory of this machine. */
export function replwatchCommand(args: string): string {
  return replwatchLine(args, { program: printedProgram(), flags: '' });
}

/** A path as one shell word: quoted only when it must be. */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
