import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileStore } from '../../../src/state/file';
import { cli } from '../../support/cli';

/** A fleet of one cluster (main: main-primary, main-r1, main-r2), a memcache pool and a network group. */
function fleet(): { dir: string; config: string; state: string } {
  const dir = mkdtempSync(join(tmpdir(), 'rw-silence-'));
  const config = join(dir, 'fleet.yml');
  writeFileSync(
    config,
    [
      'clusters:',
      '  - name: main',
      '    primary: { host: 127.0.0.1, port: 3306 }',
      '    replicas: [{ name: main-r1, host: 127.0.0.1, port: 3307 }, { name: main-r2, host: 127.0.0.1, port: 3308 }]',
      '    user: replwatch',
      '    password: env:NOPE',
      'memcache:',
      '  - { name: sessions, nodes: ["127.0.0.1:11211"] }',
      'network:',
      '  - { name: db-hosts, targets: ["127.0.0.1:3306"] }',
      '',
    ].join('\n'),
  );
  return { dir, config, state: join(dir, 'state.json') };
}

describe('replwatch silence', () => {
  it('adds, lists and removes maintenance windows in the state file', async () => {
    const { config, state } = fleet();
    const added = await cli(
      'silence',
      'add',
      '--config',
      config,
      '--state',
      state,
      '--cluster',
      'main',
      '--target',
      'main-r1',
      '--for',
      '2h',
      '--reason',
      'rebuilding main-r1',
    );
    expect(added.code).toBe(0);
    const id = /silence (\w+) until (\S+)/.exec(added.stdout)!;
    const stored = await new FileStore(state).listSilences();
    expect(stored).toMatchObject([{ id: id[1], cluster: 'main', target: 'main-r1', reason: 'rebuilding main-r1', to: id[2] }]);
    expect(Date.parse(stored[0]!.to) - Date.parse(stored[0]!.from)).toBe(2 * 3_600_000);

    const listed = await cli('silence', 'list', '--state', state);
    expect(listed.stdout).toMatch(new RegExp(`${id[1]}\\s+main\\s+main-r1\\s+\\*\\s+\\S+\\s+rebuilding main-r1`));
    expect(JSON.parse((await cli('silence', 'list', '--state', state, '--json')).stdout)).toHaveLength(1);

    expect((await cli('silence', 'remove', id[1]!, '--state', state)).stdout).toContain(`silence ${id[1]} removed`);
    expect((await cli('silence', 'remove', id[1]!, '--state', state)).code).toBe(1);
    expect((await cli('silence', 'list', '--state', state)).stdout).toContain('no silences');
  });

  it('refuses a silence of everything, an unknown code, and an end in the past', async () => {
    const { config, state } = fleet();
    const all = await cli('silence', 'add', '--state', state, '--reason', 'x');
    expect(all.code).toBe(3);
    expect(all.stderr).toContain('name at least one of --cluster, --target, --code');
    expect((await cli('silence', 'add', '--config', config, '--state', state, '--code', 'ReplicaLaging', '--reason', 'x')).stderr).toContain(
      'unknown finding code ReplicaLaging',
    );
    expect(
      (await cli('silence', 'add', '--config', config, '--state', state, '--cluster', 'main', '--until', '2020-01-01T00:00:00Z', '--reason', 'x')).stderr,
    ).toContain('--until must be a future date-time');
    for (const tooLong of [
      ['--for', '99999999999h'],
      ['--for', '400d'],
      ['--until', '2099-01-01T00:00:00Z'],
    ]) {
      const r = await cli('silence', 'add', '--config', config, '--state', state, '--cluster', 'main', ...tooLong, '--reason', 'x');
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/^replwatch: a silence lasts at most 365 days \(.*is longer\): one that outlives its reason hides the next real incident\n$/);
    }
    expect((await cli('silence', 'add', '--config', config, '--state', state, '--cluster', 'main', '--reason', 'x')).code).toBe(0);
  });

  it('refuses a config that cannot be read, and a cluster or target the config does not name, with the name meant', async () => {
    const { dir, config, state } = fleet();
    const add = (...args: string[]) => cli('silence', 'add', '--state', state, '--reason', 'x', ...args);
    const oneLine = (r: { code: number; stdout: string; stderr: string }, text: string) => {
      expect(r.code).toBe(3);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`replwatch: ${text}\n`);
    };
    oneLine(await add('--config', join(dir, 'flet.yml'), '--cluster', 'main'), `${join(dir, 'flet.yml')}: cannot read config file (no such file)`);
    const tail = '(a silence of a name nothing reports would hold nothing)';
    oneLine(await add('--config', config, '--cluster', 'mian'), `unknown cluster mian in ${config}; did you mean main? ${tail}`);
    oneLine(await add('--config', config, '--cluster', 'other'), `unknown cluster other in ${config}; known: main, sessions, db-hosts ${tail}`);
    oneLine(await add('--config', config, '--target', 'main-r3'), `unknown target main-r3 in ${config}; did you mean main-r1? ${tail}`);
    oneLine(
      await add('--config', config, '--cluster', 'main', '--target', '127.0.0.1:11211'),
      `unknown target (in main) 127.0.0.1:11211 in ${config}; known: main-primary, main-r1, main-r2 ${tail}`,
    );
    expect(await new FileStore(state).listSilences()).toEqual([]);
    // What the config names is taken: servers, nodes, network targets, and the monitor's own cluster.
    for (const args of [
      ['--cluster', 'main', '--target', 'main-primary'],
      ['--target', 'main-r2'],
      ['--cluster', 'sessions', '--target', '127.0.0.1:11211'],
      ['--target', '127.0.0.1:3306'],
      ['--cluster', 'replwatch'],
    ]) {
      expect((await add('--config', config, ...args)).code, args.join(' ')).toBe(0);
    }
    expect(await new FileStore(state).listSilences()).toHaveLength(5);
  });
});
