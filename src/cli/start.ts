import type { Command } from 'commander';
import { loadConfig } from '../config/load';
import { SecretResolver } from '../config/secrets';
import { Checker } from '../check/checker';
import { sandboxDown, sandboxUp, type SandboxState } from '../gameday/sandbox/sandbox';
import { sleep } from '../util/deadline';
import { renderReport } from './table';
import { DEFAULT_SANDBOX_DIR } from './sandbox';
import type { Io } from './main';

function hints(s: SandboxState): string {
  const [, r1] = s.servers;
  const sock = (name: string) => s.servers.find((x) => x.name === name)!.socket;
  return [
    'Break something in another terminal and watch the table:',
    `  mariadb -S ${sock(r1!.name)} -uroot -e 'STOP SLAVE'                       # ReplicationStopped`,
    `  mariadb -S ${sock(r1!.name)} -uroot -e 'SET GLOBAL read_only=0'           # ReplicaWritable`,
    `  mariadb -S ${sock(r1!.name)} -uroot -e 'INSERT INTO app.accounts VALUES (4,"x",0)'   # then the same on the primary: ReplicationBroken`,
    `  kill -STOP ${s.servers[2]!.pid}                                              # a hung replica: ReplicaUnreachable (kill -CONT to heal)`,
    `Check once from another shell: npx replwatch check --config ${s.configFile}`,
  ].join('\n');
}

/** `npm start`: the sandbox, monitored every few seconds, torn down on Ctrl-C. */
export function registerStart(program: Command, io: Io): void {
  program
    .command('start')
    .description('bring the local sandbox up and monitor it until Ctrl-C (what `npm start` runs)')
    .option('--dir <dir>', 'where the sandbox lives', DEFAULT_SANDBOX_DIR)
    .option('--every <seconds>', 'seconds between samples', '2')
    .option('--samples <n>', 'stop after this many samples (default: until Ctrl-C)')
    .action(async (opts: { dir: string; every: string; samples?: string }) => {
      io.err('starting the sandbox (mariadbd primary + 2 replicas, 2 memcached)...');
      const state = await sandboxUp({ dir: opts.dir, ownerPid: process.pid, log: io.err });
      const checker = new Checker(await loadConfig(state.configFile));
      const secrets = new SecretResolver();
      let stopping = false;
      const stop = () => {
        stopping = true;
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        const limit = opts.samples ? Number(opts.samples) : Infinity;
        for (let n = 0; n < limit && !stopping; n++) {
          const sample = await checker.sample(secrets);
          const report = { checkedAt: new Date().toISOString(), ...sample };
          const screen = `${renderReport(report, io.tty)}\n\n${hints(state)}\nCtrl-C stops and removes the sandbox.`;
          io.out(io.tty ? `\x1b[2J\x1b[H${screen}` : `${screen}\n`);
          for (let waited = 0; waited < Number(opts.every) * 1000 && !stopping && n + 1 < limit; waited += 100) await sleep(100);
        }
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        await checker.close();
        await sandboxDown(state.dir);
        io.err('sandbox stopped and removed');
      }
    });
}
