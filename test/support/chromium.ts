import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/**
 * Debian's chromium, installed the way the sandbox's servers are (apt-get, as root on Debian);
 * otherwise the reason it cannot be had, for a skip that says why.
 */
export function ensureChromium(): { path: string } | { skip: string } {
  const found = CANDIDATES.find(existsSync);
  if (found) return { path: found };
  const debian = existsSync('/etc/debian_version');
  if (process.getuid?.() !== 0 || !debian) return { skip: `no chromium; install it with: apt-get install chromium (${debian ? 'needs root' : 'not Debian'})` };
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env, timeout: 300_000 });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], { stdio: 'ignore', env, timeout: 300_000 });
  const installed = CANDIDATES.find(existsSync);
  return installed ? { path: installed } : { skip: 'apt-get install chromium left no chromium binary' };
}

/** Renders a local HTML file headless and returns the PNG screenshot. */
export function screenshot(chromium: string, htmlFile: string, png: string, size = '1200,1600'): Buffer {
  const r = spawnSync(
    chromium,
    ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', `--window-size=${size}`, `--screenshot=${png}`, `file://${htmlFile}`],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (!existsSync(png)) throw new Error(`chromium wrote no screenshot (exit ${r.status}): ${r.stderr}`);
  return readFileSync(png);
}
