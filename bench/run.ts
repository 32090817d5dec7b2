import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { sandboxDown, sandboxUp } from '../src/sandbox/sandbox';
import { benchColdStart } from './coldstart';
import { costModel, printCost, type Measured } from './cost';
import { benchDispatch } from './dispatch';
import { benchFleet } from './fleet';
import { benchGameday } from './gameday';
import { benchPacketLoss } from './packet-loss';
import { printTable } from './peers';
import { benchRebuild } from './rebuild-copy';
import { benchPhysicalRebuild } from './rebuild-physical';
import { benchReplicationCheck } from './replication-check';

/** `npm run bench`: every benchmark against its real peers, on one sandbox, in one run; then one table of them all. */
const machine = `${cpus().length} x ${cpus()[0]?.model.trim() ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`;
const loadBefore = loadavg()[0]!;
console.log(`replwatch benchmarks on ${machine}, ${new Date().toISOString()}, load average ${loadBefore.toFixed(2)}`);

// First, while nothing else of the bench runs: cold starts are the figure most sensitive to load.
const bundles = benchColdStart();
const sb = await sandboxUp({ dir: mkdtempSync(join(tmpdir(), 'rw-bench-sandbox-')), ownerPid: process.pid });
let check, fleet, loss, rebuild;
try {
  check = await benchReplicationCheck(sb);
  fleet = await benchFleet(sb);
  loss = await benchPacketLoss(sb);
  rebuild = await benchRebuild(sb);
} finally {
  await sandboxDown(sb.dir);
}
// The physical rebuild, and the drill, bring up sandboxes of their own.
const physical = await benchPhysicalRebuild();
const gameday = await benchGameday();
const dispatchMs = await benchDispatch();

const measured: Measured = {
  machine,
  at: new Date().toISOString(),
  sampleMs: fleet.sampleMs,
  dispatchMs,
  importMs: Object.fromEntries(bundles.map((b) => [b.name, b.importMs])),
};
writeFileSync(join(import.meta.dirname, 'measured.json'), `${JSON.stringify(measured, null, 2)}\n`);
const cost = await costModel(measured);
printCost(cost);

const perSecond = (n: number, ms: number | undefined) => (ms === undefined ? '-' : ((n / ms) * 1000).toFixed(0));
const fixed = (v: number | undefined, digits = 0) => (v === undefined ? '-' : v.toFixed(digits));
const rowsPerSecond = (prefix: string) => fixed(Object.entries(rebuild).find(([name]) => name.startsWith(prefix))?.[1]);
const slowest = [...bundles].sort((a, b) => b.importMs - a.importMs)[0];
const largest = [...bundles].sort((a, b) => b.initBytes - a.initBytes)[0];
const loadAfter = loadavg()[0]!;

console.log('\n== summary: replwatch and its peers, this run ==');
printTable([
  ['figure', 'replwatch', 'peer', 'peer figure'],
  ['replication checks/s, 50 targets (one process, warm)', perSecond(50, fleet.sampleMs[50]), '', ''],
  ['replication checks/s, 200 targets', perSecond(200, fleet.sampleMs[200]), 'check_mysql -S, sequential', perSecond(200, check.checkMysql200Ms)],
  ['replication checks/s, 1000 targets', perSecond(1000, fleet.sampleMs[1000]), '', ''],
  ['first sample of 1000 targets (dials them all), ms', fixed(fleet.coldSampleMs[1000]), '', ''],
  ['memory per target, KB (1000 targets)', fixed(fleet.memoryKbPerTarget[1000]), '', ''],
  ['packet-loss probes/s, one target (paced)', fixed(loss.probesPerSecond), 'ping -i 0.01', fixed(loss.pingProbesPerSecond)],
  ['loss estimate error at P = 0.3, points', fixed(loss.errorAt30, 1), 'ping', fixed(loss.pingErrorAt30, 1)],
  ['network check probes/s, 200 targets x 100', fixed(loss.fleetProbesPerSecond), '', ''],
  ['rebuild rows/s, copy (4 workers)', rowsPerSecond('replwatch rebuild, copy'), 'mariadb-dump | mariadb', rowsPerSecond('mariadb-dump')],
  ['rebuild rows/s, whole rebuild', rowsPerSecond('replwatch rebuild, whole'), 'mydumper | myloader, 4 threads', rowsPerSecond('mydumper')],
  [
    'rebuild 2M rows, s: replwatch physical (whole)',
    fixed((physical['2000000']?.['replwatch physical (whole: checks, catch-up, checksums)'] ?? Number.NaN) / 1000, 1),
    'raw mariabackup pipeline',
    fixed((physical['2000000']?.['raw physical pipeline (mariabackup | mbstream, prepare, start, replicate)'] ?? Number.NaN) / 1000, 1),
  ],
  [`game day, whole drill, s (${gameday.passed}/${gameday.scenarios} scenarios passed)`, fixed(gameday.seconds, 1), 'goal', '180'],
  [`cold start: slowest import, ms (${slowest?.name ?? '-'})`, fixed(slowest?.importMs), 'goal', '150'],
  [`cold start: most parsed at start, MB (${largest?.name ?? '-'})`, fixed(largest && largest.initBytes / 1e6, 2), 'goal', '1.00'],
  ['cost a month, 1000 targets at 10-s sampling, USD', fixed(cost.at(-1)?.usd, 2), '', ''],
]);
console.log(`  load average ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after (on ${cpus().length} cores: above ~0.5 something else was running)`);
