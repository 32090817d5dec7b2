import { Option, type Command } from 'commander';
import { loadConfig } from '../config/load';
import { sandboxDown, sandboxUp, type SandboxState } from '../gameday/sandbox/sandbox';
import { everyOption, runWatch } from './watch';
import { countOption } from './options';
import { DEFAULT_SANDBOX_DIR } from './sandbox';
import type { Io } from './main';
import { defaultPagesFile, defaultStateFile } from './paths';

function hints(s: SandboxState): string {
  const sock = (role: string) => s.servers.find((x) => x.name === role)!.socket;
  const r1 = `mariadb -S ${sock('sandbox-r1')} -uroot -e`;
  const lines = [
    'Break something from another terminal and watch the table:',
    `  ${r1} 'STOP SLAVE'                      -> ReplicationStopped`,
    `  ${r1} 'SET GLOBAL read_only=0'          -> ReplicaWritable`,
    `  ${r1} 'SET sql_log_bin=0; INSERT INTO app.accounts VALUES (9,"x",0)'`,
    `  mariadb -S ${sock('sandbox-primary')} -uroot -e 'INSERT INTO app.accounts VALUES (9,"y",0)'   -> ReplicationBroken`,
    `  kill -STOP ${s.servers[2]!.pid}   (kill -CONT to heal)   -> ReplicaUnreachable`,
    `  kill -STOP ${s.memcached[0]!.pid}   (kill -CONT to heal)   -> MemcacheUnreachable`,
  ];
  if (s.lossyHost) {
    lines.push(`  ip netns exec ${s.lossyHost.ns} iptables -A INPUT -p tcp --syn -m statistic --mode random --probability 0.3 -j DROP   -> PacketLoss (iptables -F INPUT to heal)`);
  }
  lines.push(`Check once: npx replwatch check --config ${s.configFile}`);
  lines.push('Or run the whole drill (its own sandbox: every fault above and more, scored): npx replwatch gameday --report drill.html');
  return lines.join('\n');
}

/** `npm start`: the sandbox, monitored every few seconds, torn down on Ctrl-C. */
export function registerStart(program: Command, io: Io): void {
  program
    .command('start')
    .description('bring the local sandbox up and watch it, paging to the terminal, until Ctrl-C (what `npm start` runs)')
    .option('--dir <dir>', 'where the sandbox lives', DEFAULT_SANDBOX_DIR)
    .addOption(new Option('--every <duration>', 'time between samples').argParser(everyOption).default(2000, '2s'))
    .option('--samples <n>', 'stop after this many samples (default: until Ctrl-C)', countOption(1))
    .action(async (opts: { dir: string; every: number; samples?: number }) => {
      io.err('starting the sandbox (mariadbd primary + 2 replicas, 2 memcached)...');
      const state = await sandboxUp({ dir: opts.dir, ownerPid: process.pid, log: io.err });
      // On a terminal the hints sit under the live table; elsewhere they are printed once.
      if (!io.tty) io.out(`${hints(state)}\nCtrl-C stops and removes the sandbox.`);
      try {
        await runWatch({
          config: await loadConfig(state.configFile),
          everyMs: opts.every,
          stateFile: defaultStateFile(state.configFile),
          pagesFile: defaultPagesFile(state.configFile),
          samples: opts.samples,
          io,
          footer: `${hints(state)}\nCtrl-C stops and removes the sandbox.`,
        });
      } finally {
        await sandboxDown(state.dir);
        io.err('sandbox stopped and removed');
      }
    });
}
