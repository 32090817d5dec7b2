import { type Command, CommanderError, type Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../../src/cli/main';
import { codeBlocks, DOC_FILES, readDoc, withoutCodeBlocks } from '../../support/docs';

/**
 * Every `replwatch ...` command line the docs show, parsed by the real program (src/cli/main.ts)
 * with its actions left out: each subcommand, option and option value must be one replwatch
 * takes. A line in a code block is a whole command, so its required options must be there too; a
 * command named in prose (`replwatch silence add` writes ...) may leave them out.
 */
interface DocCommand {
  file: string;
  line: string;
  whole: boolean;
}

function docCommands(): DocCommand[] {
  return DOC_FILES.flatMap((file) => {
    const text = readDoc(file);
    const inBlocks = codeBlocks(text).flatMap((b) => b.body.split('\n').flatMap((l) => /^(?:(?:Fix|Next): )?(replwatch [a-z].*)$/.exec(l.trim())?.[1] ?? []));
    const inProse = [...withoutCodeBlocks(text).matchAll(/`(replwatch [a-z][^`]*)`/g)].map((m) => m[1]!);
    return [...inBlocks.map((line) => ({ file, line, whole: true })), ...inProse.map((line) => ({ file, line, whole: false }))];
  });
}

/** Shell words, quotes removed; a `# comment` ends the line. */
function words(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/"([^"]*)"|'([^']*)'|(#.*$)|(\S+)/g)) {
    if (m[3] !== undefined) break;
    out.push(m[1] ?? m[2] ?? m[4]!);
  }
  return out;
}

/** A value the docs write as a placeholder: NAME, ID, D, FILE.html. */
const placeholder = (word: string) => /^[A-Z][A-Z_]*(\.\w+)?$/.test(word);

/**
 * The command lines a doc line stands for: `up|down|status` is each of them, `[--json]` and
 * `[--scenario NAME ...]` are written out, and a placeholder for an option with fixed choices is
 * its first choice.
 */
function argvs(program: Command, line: string): string[][] {
  let variants: string[][] = [[]];
  for (const w of words(line.replace(/^replwatch /, ''))
    .map((w) => w.replace(/[[\]]/g, ''))
    .filter((w) => w !== '' && w !== '...')) {
    const alternatives = /^[a-z-]+(\|[a-z-]+)+$/.test(w) ? w.split('|') : [w];
    variants = variants.flatMap((v) => alternatives.map((a) => [...v, a]));
  }
  return variants.map((argv) => {
    let command = program;
    let option: Option | undefined;
    return argv.map((w) => {
      const sub = command.commands.find((c) => c.name() === w);
      if (sub && !option) {
        command = sub;
        return w;
      }
      if (w.startsWith('--')) {
        option = command.options.find((o) => o.long === w);
        return w;
      }
      const choices = option?.argChoices;
      return placeholder(w) && choices ? choices[0]! : w;
    });
  });
}

/** The program with every action a no-op: parsing checks commands, options, values and required options, and runs nothing. */
function inertProgram(errors: string[]): Command {
  const program = buildProgram({ out: () => {}, err: (t) => void errors.push(t.trim()), tty: false }, () => {});
  const quiet = (c: Command): void => {
    if (c.commands.length === 0) c.action(() => {});
    c.commands.forEach(quiet);
  };
  quiet(program);
  return program;
}

/** Why the command line does not parse, or undefined. */
async function refusal(argv: string[], whole: boolean): Promise<string | undefined> {
  const errors: string[] = [];
  try {
    await inertProgram(errors).parseAsync(argv, { from: 'user' });
    return undefined;
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    const partial = ['commander.missingMandatoryOptionValue', 'commander.missingArgument'].includes(e.code);
    return !whole && partial ? undefined : `${e.code}: ${(errors.join(' ') || e.message).replace(/\s+/g, ' ')}`;
  }
}

const commands = docCommands();

describe('the replwatch command lines of the docs', () => {
  it('are found in the README and in the pages of every command', () => {
    const named = new Set(commands.map((c) => words(c.line)[1]));
    expect([...named].sort()).toEqual(['check', 'gameday', 'heartbeat', 'runbook', 'sandbox', 'shards', 'silence', 'watch']);
    expect(commands.filter((c) => c.file === 'README.md' && c.whole).length).toBeGreaterThan(0);
  });

  it.each(commands.map((c) => [`${c.file}: ${c.line.replace(/\s+#.*$/, '').replace(/\s+/g, ' ')}`, c] as const))(
    '%s parses under the real CLI',
    async (_, c) => {
      const variants = argvs(inertProgram([]), c.line);
      const refused = await Promise.all(variants.map(async (argv) => [argv.join(' '), await refusal(argv, c.whole)] as const));
      expect(refused.filter(([, why]) => why)).toEqual([]);
    },
  );

  it('a line the CLI would refuse is caught: an unknown option, subcommand or value, a missing required option', async () => {
    const program = inertProgram([]);
    expect(await refusal(argvs(program, 'replwatch check --confg replwatch.yml')[0]!, true)).toMatch(/unknownOption.*Did you mean --config/);
    expect(await refusal(argvs(program, 'replwatch silence pause')[0]!, true)).toMatch(/unknownCommand|excessArguments/);
    expect(await refusal(argvs(program, 'replwatch watch --every 10ms')[0]!, true)).toMatch(/invalidArgument/);
    expect(await refusal(argvs(program, 'replwatch gameday --scenario no-such')[0]!, true)).toMatch(/invalidArgument/);
    expect(await refusal(argvs(program, 'replwatch silence add --cluster main')[0]!, true)).toMatch(/missingMandatoryOptionValue.*--reason/);
    expect(await refusal(argvs(program, 'replwatch silence add --cluster main')[0]!, false)).toBeUndefined();
  });
});
