import { Command, CommanderError, Option } from 'commander';
import { ConfigError, loadConfig } from '../config/load';
import { SecretError, SecretResolver } from '../config/secrets';
import { EXIT, exitCodeFor } from '../check/report';
import { runCheck } from '../check/runCheck';
import { renderReport } from './table';
import { registerSandbox } from './sandbox';
import { registerHeartbeat } from './heartbeat';
import { registerStart } from './start';
import { registerWatch } from './watch';
import { registerRunbook } from './runbook';
import { registerSilence } from './silence';
import { registerGameday } from './gameday';
import { registerShards } from './shards';
import { commandFlags, configFileFrom } from './paths';

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  tty: boolean;
}

const defaultIo: Io = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
  tty: Boolean(process.stdout.isTTY),
};

/** Errors a user can act on are printed as one line; anything else is a bug and keeps its stack. */
export function describeError(e: unknown): string {
  if (e instanceof ConfigError || e instanceof SecretError) return e.message;
  return e instanceof Error ? (e.stack ?? e.message) : String(e);
}

export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  let code: number = EXIT.ok;
  const program = new Command('replwatch')
    .description('Replication-health monitor for MySQL/MariaDB, memcached and the network between them')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });

  program
    .command('check')
    .description('run every check once; exit 0 healthy, 1 warning, 2 critical, 3 unknown')
    .option('--config <file>', 'config file, YAML or JSON (default: $REPLWATCH_CONFIG, else replwatch.yml)')
    .option('--json', 'print one JSON document on stdout, nothing else')
    .action(async (opts: { config?: string; json?: boolean }) => {
      const configFile = configFileFrom(opts.config);
      const config = await loadConfig(configFile);
      const report = await runCheck(config, new SecretResolver(), { commandFlags: commandFlags({ configFile }) });
      io.out(opts.json ? JSON.stringify(report, null, 2) : renderReport(report, io.tty));
      code = exitCodeFor(report.findings);
    });

  const setCode = (c: number) => {
    code = c;
  };
  registerSandbox(program, io, setCode);
  registerHeartbeat(program, io, setCode);
  registerWatch(program, io);
  registerSilence(program, io, setCode);
  registerRunbook(program, io, setCode);
  registerStart(program, io);
  registerGameday(program, io, setCode);
  registerShards(program, io);
  program.addOption(new Option('--no-color', 'no colours').hideHelp());

  try {
    await program.parseAsync(argv);
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version exit 0; a usage error is "unknown" in Nagios terms.
      return e.exitCode === 0 ? EXIT.ok : EXIT.unknown;
    }
    io.err(`replwatch: ${describeError(e)}`);
    return EXIT.unknown;
  }
}
