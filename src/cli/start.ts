import type { Command } from 'commander';
import { loadConfig } from '../config/load';
import { readState, sandboxDown, sandboxUp, type SandboxState } from '../sandbox/sandbox';
import { everyOption, runWatch, SAMPLES_OPTION } from './watch';
import { SANDBOX_DIR_OPTION } from './sandbox';
import type { Io } from './main';
import { replwatchCommand, shellWord } from '../util/printed';
import { commandStyle, defaultPagesFile, defaultStateFile } from './paths';

/** A fault to make by hand: the command that breaks, what must page (code and target), and the command that heals. */
export interface Fault {
  break: string;
  pages: string;
  heal: string;
}

const quoted = (sql: string) => `'${sql.replace(/'/g, `'\\''`)}'`;

/**
 * What the start screen offers to break, each command runnable as printed in another terminal, in
 * any directory (absolute sockets and paths, process ids named, replwatch through npx --prefix).
 */
export function faults(s: SandboxState): Fault[] {
  const server = (name: string) => s.servers.find((x) => x.name === name)!;
  const sql = (name: string, statements: string) => `mariadb -S ${shellWord(server(name).socket)} -uroot -e ${quoted(statements)}`;
  const dir = shellWord(s.dir);
  const restart = (name: string) => replwatchCommand(`sandbox restart ${name} --dir ${dir}`);
  const [primary, r2] = ['sandbox-primary', 'sandbox-r2'].map(server);
  const [a, b] = s.memcached;
  const node = (m: typeof a) => `127.0.0.1:${m!.port}`;
  const list: Fault[] = [
    { break: sql('sandbox-r1', 'STOP SLAVE'), pages: 'ReplicationStopped sandbox-r1', heal: sql('sandbox-r1', 'START SLAVE') },
    { break: sql('sandbox-r1', 'SET GLOBAL read_only=0'), pages: 'ReplicaWritable sandbox-r1', heal: sql('sandbox-r1', 'SET GLOBAL read_only=1') },
    {
      break: `${sql('sandbox-r1', 'SET sql_log_bin=0; INSERT INTO app.accounts VALUES (9,"x",0)')} && ${sql('sandbox-primary', 'INSERT INTO app.accounts VALUES (9,"y",0)')}`,
      pages: 'ReplicationBroken sandbox-r1 (the page names the rebuild)',
      heal: replwatchCommand(`runbook rebuild-replica --config ${shellWord(s.configFile)} --cluster ${s.cluster} --replica sandbox-r1 --execute`),
    },
    { break: `kill -STOP ${r2!.pid}`, pages: `ReplicaUnreachable sandbox-r2 (stops sandbox-r2's mariadbd, pid ${r2!.pid})`, heal: `kill -CONT ${r2!.pid}` },
    {
      break: `kill -9 ${primary!.pid}`,
      pages: `PrimaryUnreachable sandbox-primary (kills sandbox-primary's mariadbd, pid ${primary!.pid})`,
      heal: restart('sandbox-primary'),
    },
    { break: `kill -STOP ${a!.pid}`, pages: `MemcacheUnreachable ${node(a)} (stops memcached ${a!.name}, pid ${a!.pid})`, heal: `kill -CONT ${a!.pid}` },
    { break: `kill -9 ${b!.pid}`, pages: `MemcacheUnreachable ${node(b)} (kills memcached ${b!.name}, pid ${b!.pid})`, heal: restart(b!.name) },
  ];
  if (s.lossyHost) {
    const ns = `ip netns exec ${s.lossyHost.ns}`;
    list.push({
      break: `${ns} iptables -A INPUT -p tcp --syn -m statistic --mode random --probability 0.3 -j DROP`,
      pages: `PacketLoss ${s.lossyHost.nsAddr}:${s.lossyHost.port} (30% of SYNs into the namespace ${s.lossyHost.ns} dropped)`,
      heal: `${ns} iptables -F INPUT`,
    });
  }
  return list;
}

function hints(s: SandboxState): string {
  return [
    'Break something from another terminal and watch the table (each: the command, then what pages and the command that heals it):',
    ...faults(s).flatMap((f) => [`  ${f.break}`, `      -> ${f.pages}; heal: ${f.heal}`]),
    `A killed (or stopped) server or memcached comes back with: ${replwatchCommand(`sandbox restart NAME --dir ${shellWord(s.dir)}`)}`,
    `Check once: ${replwatchCommand(`check --config ${shellWord(s.configFile)}`)}`,
    `Or run the whole drill (its own sandbox: every fault above and more, scored): ${replwatchCommand('gameday --report drill.html')}`,
    'Ctrl-C stops and removes the sandbox.',
  ].join('\n');
}

/** `npm start`: the sandbox, monitored every few seconds, torn down on Ctrl-C. */
export function registerStart(program: Command, io: Io): void {
  program
    .command('start')
    .description('bring the local sandbox up and watch it, paging to the terminal, until Ctrl-C (what `npm start` runs)')
    .option(...SANDBOX_DIR_OPTION)
    .addOption(everyOption(2000))
    .option(...SAMPLES_OPTION)
    .action(async (opts: { dir: string; every: number; samples?: number }) => {
      io.err('starting the sandbox (mariadbd primary + 2 replicas, 2 memcached)...');
      const state = await sandboxUp({ dir: opts.dir, ownerPid: process.pid, log: io.err });
      // On a terminal the hints sit under the live table; elsewhere they are printed once.
      if (!io.tty) io.out(hints(state));
      try {
        await runWatch({
          config: await loadConfig(state.configFile),
          everyMs: opts.every,
          stateFile: defaultStateFile(state.configFile),
          commands: commandStyle({ configFile: state.configFile }),
          pagesFile: defaultPagesFile(state.configFile),
          samples: opts.samples,
          io,
          // Read again at every redraw: a part restarted from another terminal has a new pid.
          footer: async () => hints((await readState(state.dir)) ?? state),
        });
      } finally {
        await sandboxDown(state.dir);
        io.err('sandbox stopped and removed');
      }
    });
}
