import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliProcess } from '../support/cli';

describe('npm start (replwatch start): the README\'s main job', () => {
  it('brings the sandbox up, watches it healthy, says how to break it or run the drill, and removes everything', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'rw-start-')), 'sandbox');
    const r = cliProcess(['start', '--dir', dir, '--every', '500ms', '--samples', '3'], {}, 90_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("STOP SLAVE'");
    expect(r.stdout).toContain('npx replwatch gameday');
    const samples = r.stdout.split('\n').filter((l) => / sample \d+: /.test(l));
    expect(samples).toHaveLength(3);
    for (const line of samples) expect(line).toMatch(/: 0 critical, 0 warning, 0 paged/);
    expect(r.stderr).toContain('sandbox stopped and removed');
    expect(existsSync(dir)).toBe(false);
  }, 100_000);
});
