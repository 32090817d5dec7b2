import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { sandboxDown, sandboxUp } from '../src/gameday/sandbox/sandbox';
import { benchReplicationCheck } from './replication-check';
import { benchPacketLoss } from './packet-loss';
import { benchGameday } from './gameday';
import { benchColdStart } from './coldstart';
import { benchFleet } from './fleet';
import { costModel } from './cost';
import { benchRebuild } from './rebuild-copy';

/** `npm run bench`: every benchmark against its real peers, on one sandbox, in one run. */
const sb = await sandboxUp({ dir: mkdtempSync(join(tmpdir(), 'rw-bench-sandbox-')), ownerPid: process.pid });
try {
  console.log(`replwatch benchmarks on ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, ${new Date().toISOString()}`);
  await benchReplicationCheck(sb);
  const fleet = await benchFleet(sb);
  await costModel(fleet);
  await benchPacketLoss(sb);
  await benchRebuild(sb);
} finally {
  await sandboxDown(sb.dir);
}
// The drill brings up (and breaks) a sandbox of its own.
await benchGameday();
benchColdStart();
