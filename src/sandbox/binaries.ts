import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { join } from 'node:path';
import { OperatorError } from '../util/errors';

/** The system binaries the sandbox starts. Debian puts mariadbd in /usr/sbin, off a user's PATH. */
export interface Binaries {
  mariadbd: string;
  installDb: string;
  memcached: string;
  /** Makes the sandbox's TLS certificates. */
  openssl: string;
  /** The physical rebuild's backup tool and its stream extractor (Debian's mariadb-backup). */
  mariabackup: string;
  mbstream: string;
  /** Carries the stream between two hosts (an SSM agent's rebuild). */
  socat: string;
}

const SEARCH = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin', '/sbin'];
export const APT_PACKAGES = ['mariadb-server', 'mariadb-client', 'mariadb-backup', 'memcached', 'iptables', 'openssl', 'socat'];
export const INSTALL_COMMAND = `sudo apt-get update && sudo apt-get install -y ${APT_PACKAGES.join(' ')}`;

function which(names: string[]): string | undefined {
  for (const name of names) {
    for (const dir of SEARCH) {
      if (!dir) continue;
      const p = join(dir, name);
      try {
        accessSync(p, constants.X_OK);
        return p;
      } catch {
        // next
      }
    }
  }
  return undefined;
}

function find(): Partial<Binaries> {
  return {
    mariadbd: which(['mariadbd', 'mysqld']),
    installDb: which(['mariadb-install-db', 'mysql_install_db']),
    memcached: which(['memcached']),
    openssl: which(['openssl']),
    mariabackup: which(['mariabackup', 'mariadb-backup']),
    mbstream: which(['mbstream']),
    socat: which(['socat']),
  };
}

export class MissingBinariesError extends OperatorError {
  override name = 'MissingBinariesError';
}

/**
 * Finds the binaries; on Debian as root, installs them with apt-get first (a fresh CI machine has
 * none, and may have no package lists either). Elsewhere it names the exact command to run.
 */
export function ensureBinaries(log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Binaries {
  let found = find();
  const missing = () =>
    Object.entries(found)
      .filter(([, v]) => !v)
      .map(([k]) => k);
  if (missing().length === 0) return found as Binaries;
  const isRoot = process.getuid?.() === 0;
  if (isRoot && existsSync('/etc/debian_version')) {
    log(`replwatch sandbox: ${missing().join(', ')} missing; installing ${APT_PACKAGES.join(' ')} with apt-get`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'], env });
    const r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...APT_PACKAGES], { stdio: ['ignore', 'ignore', 'inherit'], env });
    if (r.status !== 0) throw new MissingBinariesError(`apt-get install failed (exit ${r.status}); run by hand: ${INSTALL_COMMAND}`);
    found = find();
  }
  if (missing().length > 0) {
    throw new MissingBinariesError(`the sandbox needs ${missing().join(', ')}; install them with: ${INSTALL_COMMAND}`);
  }
  return found as Binaries;
}
