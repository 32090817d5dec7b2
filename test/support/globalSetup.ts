import { ensureBinaries } from '../../src/gameday/sandbox/binaries';
import { install } from './installed';

/** Installs mariadb-server, memcached and iptables once (as root on Debian) before any worker starts. */
export default function setup(): void {
  ensureBinaries();
  install();
}
