import { resolve } from 'node:path';
import type { Command } from 'commander';
import { readState, restartPart, sandboxDown, sandboxStatus, sandboxUp, stopServer } from '../sandbox/sandbox';
import { OperatorError } from '../util/errors';
import { replwatchCommand, shellWord } from '../util/printed';
import { table } from './table';
import type { Io } from './main';

export const DEFAULT_SANDBOX_DIR = '.replwatch/sandbox';
export const SANDBOX_DIR_OPTION = ['--dir <dir>', 'where the sandbox lives', DEFAULT_SANDBOX_DIR] as const;

async function existingSandbox(dir: string) {
  const state = await readState(resolve(dir));
  if (!state) throw new OperatorError(`no sandbox in ${resolve(dir)}`);
  return state;
}

export function registerSandbox(program: Command, io: Io, setCode: (c: number) => void): void {
  const sandbox = program.command('sandbox').description('the local topology used by tests and the game day');
  sandbox
    .command('up')
    .description('start a GTID primary, two replicas and two memcached nodes on free loopback ports')
    .option(...SANDBOX_DIR_OPTION)
    .option('--agents', 'give every server agent: local and its start and stop commands in the config, so --strategy physical runs')
    .option('--json', 'print the sandbox state as JSON')
    .action(async (opts: { dir: string; json?: boolean; agents?: boolean }) => {
      const state = await sandboxUp({ dir: opts.dir, log: io.err, ...(opts.agents ? { agents: true } : {}) });
      if (opts.json) {
        const { password: _hidden, ...shown } = state;
        io.out(JSON.stringify(shown, null, 2));
      } else {
        io.out(`sandbox up in ${state.dir}\nconfig: ${state.configFile}\ntry:    ${replwatchCommand(`check --config ${shellWord(state.configFile)}`)}`);
      }
    });
  sandbox
    .command('down')
    .description('stop every sandbox process and remove its directory')
    .option(...SANDBOX_DIR_OPTION)
    .option('--json', 'print {"dir", "stopped"} as JSON')
    .action(async (opts: { dir: string; json?: boolean }) => {
      const stopped = await sandboxDown(opts.dir);
      if (opts.json) io.out(JSON.stringify({ dir: resolve(opts.dir), stopped }));
      else io.out(stopped ? `sandbox in ${opts.dir} is down` : `no sandbox in ${opts.dir}`);
    });
  sandbox
    .command('restart')
    .description('start a sandbox server or memcached node again (killed, SIGSTOPped, or running), on its own port and data')
    .argument('<name>', 'a part, as `sandbox status` names it: sandbox-primary, sandbox-r1, sessions-a...')
    .option(...SANDBOX_DIR_OPTION)
    .option('--json', 'print {"name", "was", "pid", "port"} as JSON')
    .action(async (name: string, opts: { dir: string; json?: boolean }) => {
      const state = await existingSandbox(opts.dir);
      const r = await restartPart(state, name);
      const was = { running: 'was running', stopped: 'was stopped (SIGSTOP)', gone: 'was not running' }[r.was];
      io.out(opts.json ? JSON.stringify(r) : `${r.name} ${was}; restarted: pid ${r.pid}, port ${r.port}`);
    });
  sandbox
    .command('stop')
    .description('shut a sandbox server down cleanly, as its service stop would (sandbox restart starts it again)')
    .argument('<name>', 'a server, as `sandbox status` names it: sandbox-primary, sandbox-r1...')
    .option(...SANDBOX_DIR_OPTION)
    .action(async (name: string, opts: { dir: string }) => {
      const state = await existingSandbox(opts.dir);
      const r = await stopServer(state, name);
      io.out(r.was === 'gone' ? `${name} was not running` : `${name} stopped`);
    });
  sandbox
    .command('status')
    .description('which sandbox processes run; exit 0 when all do')
    .option(...SANDBOX_DIR_OPTION)
    .option('--json', 'print JSON')
    .action(async (opts: { dir: string; json?: boolean }) => {
      const status = await sandboxStatus(opts.dir);
      if (opts.json) io.out(JSON.stringify(status, null, 2));
      else if (status.parts.length === 0) io.out(`no sandbox in ${status.dir}`);
      else
        io.out(
          table([
            ['NAME', 'KIND', 'PORT', 'PID', 'STATE'],
            ...status.parts.map((p) => [p.name, p.kind, String(p.port), String(p.pid), p.running ? 'running' : 'DOWN']),
          ]),
        );
      setCode(status.up ? 0 : 1);
    });
}
