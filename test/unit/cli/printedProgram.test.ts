import { mkdtempSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { printedProgram } from '../../../src/cli/paths';

const bin = resolve(import.meta.dirname, '../../../bin/replwatch.mjs');

describe('the program word of a printed command', () => {
  it('is `replwatch` when that is on PATH and is this checkout (npm link)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-path-'));
    symlinkSync(bin, join(dir, 'replwatch'));
    expect(printedProgram({ PATH: `/nonexistent:${dir}:/usr/bin` })).toBe('replwatch');
  });

  it("is this checkout's bin, which runs from anywhere, when replwatch is not on PATH or is another install", () => {
    expect(printedProgram({ PATH: mkdtempSync(join(tmpdir(), 'rw-empty-')) })).toBe(bin);
    const other = mkdtempSync(join(tmpdir(), 'rw-other-'));
    writeFileSync(join(other, 'replwatch'), '#!/bin/sh\necho another\n');
    chmodSync(join(other, 'replwatch'), 0o755);
    expect(printedProgram({ PATH: other })).toBe(bin);
  });
});
