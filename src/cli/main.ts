import { Command, CommanderError, Option } from 'commander';
import { CONFIG_OPTION } from './options';
import { loadConfig } from '../config/load';
import { SecretResolver } from '../config/secrets';
import { blindClusters, EXIT, exitCodeFor } from '../monitor/report';
import { OperatorError } from '../util/errors';
import { runCheck } from '../monitor/runCheck';
import { renderReport } from './table';
import { registerSandbox } from './sandbox';
import { registerHeartbeat } from './heartbeat';
import { registerStart } from './start';
import { registerWatch } from './watch';
import { registerRunbook } from './runbook';
import { registerSilence } from './silence';
import { registerGameday } from './gameday';
import { registerShards } from './shards';
import { commandStyle, configFileFrom, defaultStateFile } from './paths';
import { existsSync } from 'node:fs';
import { FileStore } from '../state/file';

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
  if (e instanceof OperatorError) return e.message;
  return e instanceof Error ? (e.stack ?? e.message) : String(e);
}

/**
 * Commander reports a missing required option before an unknown one, so a misspelt `--confg` on a
 * command that also lacks `--cluster` (or, before, `check` lacking `--config`) was answered with
 * "required option not specified", pointing away from the typo. Every command's required options
 * are checked just before its action instead: after the unknown ones (with their "Did you mean").
 */
function unknownOptionsFirst(command: Command): void {
  const required = command.options.filter((o) => o.mandatory);
  for (const o of required) o.makeOptionMandatory(false);
  if (required.length > 0) {
    command.hook('preAction', (c) => {
      const missing = required.find((o) => c.getOptionValue(o.attributeName()) === undefined);
      if (missing) c.error(`error: required option '${missing.flags}' not specified`, { code: 'commander.missingMandatoryOptionValue' });
    });
  }
  command.commands.forEach(unknownOptionsFirst);
}

/**
 * The replwatch program: every command with its options and arguments, their actions reporting
 * the exit code through `setCode`. `main` parses the command line with it; a test parses each
 * command line the docs show with it.
 */
export function buildProgram(io: Io, setCode: (c: number) => void): Command {
  const program = new Command('replwatch')
    .description('Replication-health monitor for MySQL/MariaDB, memcached and the network between them')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });

  program
    .command('check')
    .description('run every check once; exit 0 healthy, 1 warning, 2 critical, 3 unknown')
    .option(...CONFIG_OPTION)
    .option('--state <file>', 'state file whose unfinished rebuilds the check reports (default: .replwatch/state.json beside the config); read only')
    .option('--json', 'print one JSON document on stdout, nothing else')
    .action(async (opts: { config?: string; state?: string; json?: boolean }) => {
      const configFile = configFileFrom(opts.config);
      const config = await loadConfig(configFile);
      const stateFile = opts.state ?? defaultStateFile(configFile);
      // Read only, and only when it exists: a check never creates state.
      const store = existsSync(stateFile) ? new FileStore(stateFile, undefined, { readOnly: true }) : undefined;
      const report = await runCheck(config, new SecretResolver(), {
        commands: commandStyle({ configFile, stateFile }),
        ...(store ? { store, storeName: stateFile } : {}),
      });
      io.out(opts.json ? JSON.stringify(report, null, 2) : renderReport(report, io.tty));
      let code = exitCodeFor(report.findings);
      // Its findings are printed (and in --json) as they are; the answer is that it could not look,
      // unless something else is critical (as a Nagios aggregate ranks them: critical, unknown, warning).
      for (const b of blindClusters(config, report.findings)) {
        io.err(`replwatch: cluster ${b.cluster} cannot be checked: every server refused the monitor (${b.why})`);
        if (code !== EXIT.critical) code = EXIT.unknown;
      }
      setCode(code);
    });

  registerSandbox(program, io, setCode);
  registerHeartbeat(program, io, setCode);
  registerWatch(program, io);
  registerSilence(program, io, setCode);
  registerRunbook(program, io, setCode);
  registerStart(program, io);
  registerGameday(program, io, setCode);
  registerShards(program, io);
  program.addOption(new Option('--no-color', 'no colours').hideHelp());
  unknownOptionsFirst(program);
  return program;
}

export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(io, (c) => {
    code = c;
  });

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
