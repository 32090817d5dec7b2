import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

/**
 * The tests run against an installed replwatch, as README.md's Install (`npm link`) makes one: `replwatch`
 * on PATH is this checkout's bin. So the commands replwatch prints are spelled as on a real
 * install, and a test can run them through a shell exactly as printed.
 */
export const INSTALLED_BIN_DIR = join(root, 'node_modules', '.replwatch-installed');

export function install(): void {
  mkdirSync(INSTALLED_BIN_DIR, { recursive: true });
  const link = join(INSTALLED_BIN_DIR, 'replwatch');
  if (!existsSync(link)) symlinkSync(join(root, 'bin', 'replwatch.mjs'), link);
}

export function onPath(env: NodeJS.ProcessEnv = process.env): void {
  if (!(env.PATH ?? '').split(delimiter).includes(INSTALLED_BIN_DIR)) env.PATH = `${INSTALLED_BIN_DIR}${delimiter}${env.PATH ?? ''}`;
}
