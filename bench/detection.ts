import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { setLoss } from '../src/gameday/sandbox/netns';
import { restartMemcached, type SandboxState } from '../src/gameday/sandbox/sandbox';
import { sleep } from '../src/util/deadline';
import { printTable } from './peers';

const TRIALS = 5;

async function sql(sb: SandboxState, server: string, statements: string): Promise<void> {
  const c = await mysql.createConnection({ socketPath: sb.servers.find((s) => s.name === server)!.socket, user: 'root', multipleStatements: true });
  try {
    await c.query(statements);
  } finally {
    await c.end();
  }
}

interface Fault {
  name: string;
  code: string;
  inject: (sb: SandboxState, trial: number) => Promise<void>;
  recover: (sb: SandboxState, trial: number) => Promise<void>;
}

const FAULTS: Fault[] = [
  {
    name: 'broken SQL thread (duplicate key)',
    code: 'ReplicationBroken',
    inject: async (sb, n) => {
      await sql(sb, 'sandbox-r1', `SET sql_log_bin=0; INSERT INTO app.accounts VALUES (${1000 + n}, 'r1', 0); SET sql_log_bin=1`);
      await sql(sb, 'sandbox-primary', `INSERT INTO app.accounts VALUES (${1000 + n}, 'p', 0)`);
    },
    recover: (sb, n) => sql(sb, 'sandbox-r1', `SET sql_log_bin=0; DELETE FROM app.accounts WHERE id = ${1000 + n}; SET sql_log_bin=1; START SLAVE`),
  },
  {
    name: 'killed memcached',
    code: 'MemcacheUnreachable',
    inject: async (sb) => {
      process.kill(sb.memcached[0]!.pid, 'SIGKILL');
    },
    recover: async (sb) => void (await restartMemcached(sb, sb.memcached[0]!.name)),
  },
  {
    name: 'lossy link (50% of SYNs dropped)',
    code: 'PacketLoss',
    inject: (sb) => setLoss(sb.lossyHost!, 0.5),
    recover: (sb) => setLoss(sb.lossyHost!, 0),
  },
];

function pagesOf(file: string): Array<{ kind: string; code: string; at: string }> {
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
}

async function until(what: string, predicate: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;

/**
 * Issue #4's benchmark: seconds from fault to page under `replwatch watch --every 1s` on the
 * sandbox, for a broken SQL thread, a killed memcached and a lossy link; p50/p95/max of 5 each.
 */
export async function benchDetection(sb: SandboxState): Promise<void> {
  console.log(`\n== detection latency: fault -> page, watch --every 1s, ${TRIALS} trials per fault ==`);
  const pagesFile = join(sb.dir, 'bench-pages.jsonl');
  const watcher = spawn(process.execPath, ['bin/replwatch.mjs', 'watch', '--config', sb.configFile, '--every', '1s', '--state', join(sb.dir, 'bench-state.json'), '--pages', pagesFile], { stdio: 'ignore' });
  const rows = [['fault', 'code', 'p50 s', 'p95 s', 'max s', 'pages per trial']];
  try {
    await sleep(3000);
    for (const fault of FAULTS) {
      if (fault.code === 'PacketLoss' && !sb.lossyHost) {
        rows.push([fault.name, fault.code, '-', '-', '-', `skipped: ${sb.lossyHostSkipped}`]);
        continue;
      }
      const seconds: number[] = [];
      let extra = 0;
      for (let n = 0; n < TRIALS; n++) {
        const before = pagesOf(pagesFile).length;
        const started = Date.now();
        await fault.inject(sb, n);
        await until(`${fault.code} page`, () => pagesOf(pagesFile).slice(before).some((p) => p.kind === 'firing' && p.code === fault.code));
        seconds.push((Date.now() - started) / 1000);
        await fault.recover(sb, n);
        await until(`${fault.code} resolve`, () => pagesOf(pagesFile).slice(before).some((p) => p.kind === 'resolved' && p.code === fault.code));
        await sleep(1500);
        extra += pagesOf(pagesFile).slice(before).length - 2;
      }
      rows.push([fault.name, fault.code, pct(seconds, 50).toFixed(2), pct(seconds, 95).toFixed(2), Math.max(...seconds).toFixed(2), extra === 0 ? '2 (firing + resolved)' : `2 + ${extra} other`]);
    }
  } finally {
    watcher.kill('SIGINT');
  }
  printTable(rows);
  console.log('  goal: p95 under 3 s. For comparison: RDS publishes ReplicaLag once a minute (60 s period),');
  console.log("  and the mysqld_exporter mixin's replication alerts wait `for: 2m` after a scrape sees the fault.");
}
