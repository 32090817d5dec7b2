import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DOC_FILES, headingAnchors, readDoc, ROOT, withoutCodeBlocks } from '../../support/docs';

/** Where a link points from `file`: the file (from the root) and the anchor, or why it points nowhere. */
function broken(file: string, target: string): string | undefined {
  const [path, anchor] = target.split('#') as [string, string | undefined];
  const to = path === '' ? file : relative(ROOT, join(ROOT, dirname(file), decodeURIComponent(path)));
  if (to.startsWith('..') || !existsSync(join(ROOT, to))) return `${target}: no file ${to}`;
  if (anchor === undefined) return undefined;
  if (statSync(join(ROOT, to)).isDirectory() || !to.endsWith('.md')) return `${target}: an anchor in ${to}, which has no headings`;
  return headingAnchors(readDoc(to)).has(anchor) ? undefined : `${target}: ${to} has no heading #${anchor}`;
}

const sourceFiles = (dir: string): string[] =>
  readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );

describe('the links of the docs', () => {
  it.each(DOC_FILES)('every relative link in %s points to a file that exists, and to a heading it has', (file) => {
    const links = [...withoutCodeBlocks(readDoc(file)).matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((t) => !/^[a-z]+:/.test(t));
    expect(links.length, `${file} links somewhere`).toBeGreaterThan(0);
    expect(links.flatMap((t) => broken(file, t) ?? [])).toEqual([]);
  });

  it('README.md links every page of docs/', () => {
    const readme = readDoc('README.md');
    expect(DOC_FILES.filter((f) => f !== 'README.md' && !readme.includes(`](${f})`))).toEqual([]);
  });

  it('the docs pages that src/ names for users (docs/config.md#grants, ...) exist, with those headings', () => {
    const named = ['src', 'functions']
      .flatMap(sourceFiles)
      .flatMap((f) => [...readFileSync(join(ROOT, f), 'utf8').matchAll(/\bdocs\/[\w-]+\.md(?:#[\w-]+)?/g)].map((m) => m[0]));
    expect(named).toContain('docs/config.md#grants');
    expect(named.flatMap((t) => broken('README.md', t) ?? [])).toEqual([]);
  });
});
