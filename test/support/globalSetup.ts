import { ensureBinaries } from '../../src/sandbox/binaries';
import { install } from './installed';

/** Installs mariadb-server, memcached and iptables once (as root on Debian) before any worker starts. */
export default function setup(): void {
  ensureBinaries();
  install();
}
