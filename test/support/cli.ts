import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { main } from '../../src/cli/main';
import type { CheckReport } from '../../src/monitor/report';

const root = join(import.meta.dirname, '..', '..');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in this process, capturing what it prints. */
export async function cli(...args: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'replwatch', ...args], { out: (t) => (stdout += `${t}\n`), err: (t) => (stderr += `${t}\n`), tty: false });
  return { code, stdout, stderr };
}

/** Runs the real `bin/replwatch.mjs` in a child process: exit codes as a shell sees them. */
export function cliProcess(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 60_000): CliResult {
  const r = spawnSync(process.execPath, [join(root, 'bin/replwatch.mjs'), ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: timeoutMs });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** `replwatch check --config FILE --json`, parsed; a check that could not run (exit 3) fails the test. */
export async function checkJson(config: string): Promise<{ code: number; report: CheckReport }> {
  const r = await cli('check', '--config', config, '--json');
  if (r.code === 3) throw new Error(`check could not run: ${r.stderr}`);
  return { code: r.code, report: JSON.parse(r.stdout) as CheckReport };
}
