import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { printedProgram } from '../../../src/util/printed';

const bin = resolve(import.meta.dirname, '../../../bin/replwatch.mjs');

describe('the program word of a printed command', () => {
  it('is `replwatch` when that is on PATH and is this checkout (npm link)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-path-'));
    symlinkSync(bin, join(dir, 'replwatch'));
    expect(printedProgram({ PATH: `/nonexistent:${dir}:/usr/bin` })).toBe('replwatch');
  });

  it("is this checkout's bin when the replwatch on PATH is npm's node_modules/.bin (npx, npm start): that PATH is the child's, not the person's", () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'rw-npx-')), 'node_modules', '.bin');
    mkdirSync(dir, { recursive: true });
    symlinkSync(bin, join(dir, 'replwatch'));
    expect(printedProgram({ PATH: `${dir}:/usr/bin` })).toBe(bin);
  });

  it("is this checkout's bin, which runs from anywhere, when replwatch is not on PATH or is another install", () => {
    expect(printedProgram({ PATH: mkdtempSync(join(tmpdir(), 'rw-empty-')) })).toBe(bin);
    const other = mkdtempSync(join(tmpdir(), 'rw-other-'));
    writeFileSync(join(other, 'replwatch'), '#!/bin/sh\necho another\n');
    chmodSync(join(other, 'replwatch'), 0o755);
    expect(printedProgram({ PATH: other })).toBe(bin);
  });
});
