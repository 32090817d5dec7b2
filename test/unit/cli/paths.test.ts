import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandFlags, configFileFrom, defaultPagesFile, defaultStateFile, stateFileFrom } from '../../../src/cli/paths';
import { shellWord } from '../../../src/util/printed';
import { OperatorError } from '../../../src/util/errors';

describe('where the CLI looks for its files', () => {
  it('takes --config, else $REPLWATCH_CONFIG, else replwatch.yml', () => {
    expect(configFileFrom('a.yml', { REPLWATCH_CONFIG: '/etc/rw.yml' })).toBe('a.yml');
    expect(configFileFrom(undefined, { REPLWATCH_CONFIG: '/etc/rw.yml' })).toBe('/etc/rw.yml');
    expect(configFileFrom(undefined, {})).toBe('replwatch.yml');
  });

  it('keeps state and pages beside the config, whatever the working directory', () => {
    expect(defaultStateFile('/srv/fleet/replwatch.yml')).toBe('/srv/fleet/.replwatch/state.json');
    expect(defaultPagesFile('/srv/fleet/replwatch.yml')).toBe('/srv/fleet/.replwatch/pages.jsonl');
    expect(defaultStateFile('replwatch.yml')).toBe(`${process.cwd()}/.replwatch/state.json`);
  });

  it('prints --config as an absolute path unless an absolute $REPLWATCH_CONFIG names the same file, and --state only when not the default', () => {
    expect(commandFlags({ configFile: 'replwatch.yml' }, {})).toBe(`--config ${process.cwd()}/replwatch.yml`);
    expect(commandFlags({ configFile: '/srv/f/replwatch.yml' }, { REPLWATCH_CONFIG: '/srv/f/replwatch.yml' })).toBe('');
    expect(commandFlags({ configFile: '/srv/f/replwatch.yml', stateFile: '/srv/f/.replwatch/state.json' }, { REPLWATCH_CONFIG: '/srv/f/replwatch.yml' })).toBe(
      '',
    );
    expect(commandFlags({ configFile: '/srv/f/r.yml', stateFile: '/tmp/s.json' }, {})).toBe('--config /srv/f/r.yml --state /tmp/s.json');
    expect(commandFlags({ configFile: "/srv/my fleet/it's.yml" }, {})).toBe(`--config '/srv/my fleet/it'\\''s.yml'`);
    expect(shellWord('/a/b-c_d.yml')).toBe('/a/b-c_d.yml');
  });

  it('resolves --state once against the working directory, and refuses one whose directory does not exist, naming it', () => {
    expect(stateFileFrom(undefined, '/srv/f/r.yml')).toBe('/srv/f/.replwatch/state.json');
    expect(stateFileFrom('s.json', '/srv/f/r.yml')).toBe(join(process.cwd(), 's.json'));
    const dir = mkdtempSync(join(tmpdir(), 'rw-state-dir-'));
    expect(stateFileFrom(join(dir, 'state.json'), 'r.yml')).toBe(join(dir, 'state.json'));
    expect(() => stateFileFrom('/proc/nope/state.json', 'r.yml')).toThrow(OperatorError);
    expect(() => stateFileFrom('/proc/nope/state.json', 'r.yml')).toThrow('--state /proc/nope/state.json: the directory /proc/nope does not exist');
    writeFileSync(join(dir, 'file'), '');
    expect(() => stateFileFrom(join(dir, 'file', 'state.json'), 'r.yml')).toThrow(`${join(dir, 'file')} is not a directory`);
  });
});
