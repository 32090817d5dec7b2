import { statSync } from 'node:fs';
import { OperatorError } from '../util/errors';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { CommandStyle } from '../model/commands';
import { printedProgram, shellWord } from '../util/printed';

/**
 * Where the CLI finds its files when it is not told: the config from `--config`, else
 * `$REPLWATCH_CONFIG`, else `replwatch.yml`; the state (alerts, silences, rebuild locks and
 * checkpoints) and the page record beside that config, never in the working directory. So a
 * watcher, a silence and a rebuild of one fleet share one store from whichever directory each was
 * started, and a command printed by one of them reaches the same store when pasted elsewhere.
 */
export function configFileFrom(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return option ?? env.REPLWATCH_CONFIG ?? 'replwatch.yml';
}

const beside = (configFile: string, name: string) => join(dirname(resolve(configFile)), '.replwatch', name);

export const defaultStateFile = (configFile: string): string => beside(configFile, 'state.json');
/**
 * The state file a command uses: `--state` resolved once against the working directory (so the
 * commands it prints reach it from anywhere), else the config's default. A `--state` whose
 * directory does not exist is a mistake (a typo): one line naming it, and nothing is made.
 */
export function stateFileFrom(option: string | undefined, configFile: string): string {
  if (option === undefined) return defaultStateFile(configFile);
  const file = resolve(option);
  const dir = dirname(file);
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new OperatorError(
      `--state ${option}: the directory ${dir} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? (e as Error).message})`}; make it first, or leave --state out for .replwatch/state.json beside the config`,
    );
  }
  if (!isDir) throw new OperatorError(`--state ${option}: ${dir} is not a directory`);
  return file;
}

export const defaultPagesFile = (configFile: string): string => beside(configFile, 'pages.jsonl');

/**
 * The flags a printed `replwatch ...` command needs to reach this config and state from any
 * directory: `--config` with an absolute path, unless a bare command finds the very same file
 * through an absolute `$REPLWATCH_CONFIG`; `--state` when it is not the config's default.
 * Empty for the deployed functions, whose pages are run with on-call's own config.
 */
export function commandFlags(o: { configFile: string; stateFile?: string }, env: NodeJS.ProcessEnv = process.env): string {
  const config = resolve(o.configFile);
  const fromEnv = env.REPLWATCH_CONFIG !== undefined && isAbsolute(env.REPLWATCH_CONFIG) && resolve(env.REPLWATCH_CONFIG) === config;
  const flags = fromEnv ? [] : ['--config', shellWord(config)];
  if (o.stateFile !== undefined && resolve(o.stateFile) !== defaultStateFile(config)) flags.push('--state', shellWord(resolve(o.stateFile)));
  return flags.join(' ');
}

/** How this CLI process spells the commands it prints, to reach `configFile` and `stateFile` from anywhere. */
export function commandStyle(o: { configFile: string; stateFile?: string }, env: NodeJS.ProcessEnv = process.env): CommandStyle {
  return { program: printedProgram(env), flags: commandFlags(o, env) };
}
