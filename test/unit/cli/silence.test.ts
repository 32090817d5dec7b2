import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileStore } from '../../../src/state/file';
import { cli } from '../../support/cli';

describe('replwatch silence', () => {
  it('adds, lists and removes maintenance windows in the state file', async () => {
    const state = join(mkdtempSync(join(tmpdir(), 'rw-silence-')), 'state.json');
    const added = await cli('silence', 'add', '--state', state, '--cluster', 'main', '--target', 'main-r1', '--for', '2h', '--reason', 'rebuilding main-r1');
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
    const state = join(mkdtempSync(join(tmpdir(), 'rw-silence-')), 'state.json');
    const all = await cli('silence', 'add', '--state', state, '--reason', 'x');
    expect(all.code).toBe(3);
    expect(all.stderr).toContain('name at least one of --cluster, --target, --code');
    expect((await cli('silence', 'add', '--state', state, '--code', 'ReplicaLaging', '--reason', 'x')).stderr).toContain('unknown finding code ReplicaLaging');
    expect((await cli('silence', 'add', '--state', state, '--cluster', 'main', '--until', '2020-01-01T00:00:00Z', '--reason', 'x')).stderr).toContain('--until must be a future date-time');
    expect((await cli('silence', 'add', '--state', state, '--cluster', 'main', '--reason', 'x')).code).toBe(0);
  });
});
