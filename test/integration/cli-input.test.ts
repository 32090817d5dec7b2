import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../support/cli';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'replwatch.mjs');
const dir = mkdtempSync(join(tmpdir(), 'rw-cli-input-'));

/** One line on stderr, nothing that looks like a stack trace, exit 3 (unknown: cannot run). */
function usageError(r: { code: number; stderr: string }, text: string | RegExp): void {
  expect(r.code).toBe(3);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stderr).toMatch(text);
}

describe("a person's mistake on the command line (issue 13)", () => {
  it('reports a misspelt option as unknown, with the option meant, on every command, even one that also lacks a required option', async () => {
    const commands = [
      ['check'],
      ['watch'],
      ['shards'],
      ['silence', 'add', '--cluster', 'main'],
      ['silence', 'list'],
      ['silence', 'remove', 'abc'],
      ['runbook', 'rebuild-replica'],
      ['heartbeat', 'install'],
      ['gameday'],
    ];
    for (const command of commands) {
      const r = await cli(...command, '--confg', join(dir, 'nothing.yml'));
      usageError(r, /^error: unknown option '--confg'\n\(Did you mean --config\?\)\n+$/);
    }
    for (const command of [['start'], ['sandbox', 'up'], ['sandbox', 'status'], ['sandbox', 'down']])
      usageError(await cli(...command, '--dri', dir), /^error: unknown option '--dri'\n\(Did you mean --dir\?\)\n+$/);
    // The required option is still required, once the options given are known.
    usageError(await cli('silence', 'add', '--cluster', 'main'), "error: required option '--reason <text>' not specified");
    usageError(await cli('runbook', 'rebuild-replica', '--replica', 'r1'), "error: required option '--cluster <name>' not specified");
  });

  it('refuses a duration or count that is not one, or a sampling interval that would hammer production, before anything starts', async () => {
    for (const command of ['watch', 'start']) {
      usageError(
        await cli(command, '--every', 'abc'),
        "error: option '--every <duration>' argument 'abc' is invalid. expected a duration such as 500ms, 10s, 90m, 2h, 1d.",
      );
      usageError(
        await cli(command, '--every', '0s'),
        "error: option '--every <duration>' argument '0s' is invalid. at least 250ms: sampling more often would hammer the servers watched.",
      );
      usageError(await cli(command, '--samples', 'many'), "error: option '--samples <n>' argument 'many' is invalid. expected a whole number of at least 1.");
    }
    usageError(
      await cli('silence', 'add', '--cluster', 'main', '--for', '0s', '--reason', 'x', '--state', join(dir, 's.json')),
      "argument '0s' is invalid. at least 1s",
    );
  });

  it('names the valid game-day scenarios for an unknown one, in one line', async () => {
    const r = await cli('gameday', '--scenario', 'primary-down', 'primary-dwon');
    usageError(
      r,
      /^error: option '--scenario <name\.\.\.>' argument 'primary-dwon' is invalid\. Allowed choices are replica-stopped, .*primary-down, .*monitor-stopped\.\n+$/,
    );
  });

  it('`check` reads $REPLWATCH_CONFIG when no --config is given, from any directory', () => {
    const config = join(dir, 'fleet.yml');
    writeFileSync(config, 'network:\n  - { name: local, targets: ["127.0.0.1:9"], probes: 2, timeoutMs: 200 }\n');
    const elsewhere = mkdtempSync(join(tmpdir(), 'rw-cwd-'));
    const run = (env: NodeJS.ProcessEnv) =>
      spawnSync(process.execPath, [bin, 'check', '--json'], { cwd: elsewhere, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30_000 });
    const r = run({ REPLWATCH_CONFIG: config });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).observations.map((o: { target: string }) => o.target)).toEqual(['127.0.0.1:9']);
    const missing = run({ REPLWATCH_CONFIG: join(dir, 'gone.yml') });
    expect(missing.status).toBe(3);
    expect(missing.stderr).toBe(`replwatch: ${join(dir, 'gone.yml')}: cannot read config file (no such file)\n`);
  }, 40_000);

  it('a --state in a directory that does not exist (under /proc too, where a recursive mkdir never returns) is one line naming it, at once, exit 3', () => {
    const config = join(dir, 'state-fleet.yml');
    writeFileSync(config, 'network:\n  - { name: local, targets: ["127.0.0.1:9"], probes: 2, timeoutMs: 200 }\n');
    for (const state of ['/proc/nope/state.json', join(dir, 'no-such-dir', 'state.json')]) {
      for (const args of [
        ['watch', '--config', config, '--samples', '1'],
        ['silence', 'add', '--config', config, '--cluster', 'local', '--reason', 'x'],
        ['silence', 'list'],
        ['runbook', 'rebuild-replica', '--config', config, '--cluster', 'c', '--replica', 'r'],
      ]) {
        const started = Date.now();
        const r = spawnSync(process.execPath, [bin, ...args, '--state', state], { encoding: 'utf8', timeout: 15_000 });
        expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(3);
        expect(Date.now() - started).toBeLessThan(10_000);
        expect(r.stderr).toMatch(
          new RegExp(`^replwatch: --state ${state.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: the directory \\S+ does not exist; [^\n]*\n$`),
        );
      }
    }
    expect(spawnSync('ls', [join(dir, 'no-such-dir')]).status).not.toBe(0);
  }, 120_000);
});
