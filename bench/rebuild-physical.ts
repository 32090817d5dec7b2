import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/load';
import { SecretResolver } from '../src/config/secrets';
import { rebuildReplica } from '../src/runbooks/rebuild';
import { sandboxDown, sandboxUp, type SandboxState } from '../src/sandbox/sandbox';
import { MemoryStore } from '../src/state/store';
import { ensureDebianTool, printTable, root, shell } from './peers';

const TABLES = 4;
const exec = promisify(execFile);

const primaryPos = async (sb: SandboxState) => String((await root(sb, 'sandbox-primary', 'SELECT @@gtid_binlog_pos AS p'))[0]!.p);
const caughtUp = async (sb: SandboxState, replica: string) => root(sb, replica, `SELECT MASTER_GTID_WAIT('${await primaryPos(sb)}', 600)`);

/**
 * A service command, not blocking this process: it is the sandbox servers' parent, and a server
 * that exits while a spawnSync blocks the loop stays a zombie that `sandbox stop` waits out.
 */
const run = (command: string) => exec('bash', ['-c', command]);

/**
 * The physical pipeline by hand, as the limit replwatch's physical strategy is measured against:
 * r1 stopped, `mariabackup --stream | mbstream -x` from the primary, prepare, swap, start,
 * pointed at the primary by the backup's GTID position, caught up. No checks, no checksums.
 */
async function rawPhysical(sb: SandboxState): Promise<number> {
  const p = sb.servers.find((s) => s.name === 'sandbox-primary')!;
  const r1 = sb.servers.find((s) => s.name === 'sandbox-r1')!;
  const [, , , , user, password] = readFileSync(join(r1.datadir, 'master.info'), 'utf8').split('\n');
  const config = await loadConfig(sb.configFile);
  const service = config.clusters[0]!.replicas.find((r) => r.name === 'sandbox-r1')!.service!;
  const t = performance.now();
  // Stopped and started by the same service commands replwatch runs: what is compared is the rest.
  await run(service.stop!);
  // Its copy of the primary's events stays off (the scheduler, below): replwatch's next rebuild replaces it.
  const copy = shell(
    `rm -rf ${r1.datadir}.raw && mkdir ${r1.datadir}.raw && mariabackup --backup --stream=xbstream --target-dir=${r1.datadir}.tmp --socket=${p.socket} --user=root 2>/dev/null | mbstream -x -C ${r1.datadir}.raw && mariabackup --prepare --target-dir=${r1.datadir}.raw 2>/dev/null && mv ${r1.datadir} ${r1.datadir}.old && mv ${r1.datadir}.raw ${r1.datadir}`,
  );
  if (!copy.ok) throw new Error(`the raw physical pipeline failed: ${copy.err}`);
  const pos = readFileSync(join(r1.datadir, 'xtrabackup_binlog_info'), 'utf8').split('\t')[2]!.trim();
  await run(service.start!);
  await root(
    sb,
    'sandbox-r1',
    `SET GLOBAL event_scheduler = OFF; STOP ALL SLAVES; RESET MASTER; SET GLOBAL gtid_slave_pos = '${pos}'; CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = ${p.port}, MASTER_USER = '${user}', MASTER_PASSWORD = '${password}', MASTER_USE_GTID = slave_pos; START SLAVE`,
  );
  await caughtUp(sb, 'sandbox-r1');
  const ms = performance.now() - t;
  rmSync(`${r1.datadir}.old`, { recursive: true, force: true });
  rmSync(`${r1.datadir}.tmp`, { recursive: true, force: true });
  return ms;
}

/** replwatch's rebuild of sandbox-r1 from the primary, whole: its checks, catch-up and checksums included. */
async function replwatchRebuild(sb: SandboxState, strategy: 'physical' | 'logical', steps?: Map<string, number>): Promise<number> {
  const t = performance.now();
  let at = t;
  await rebuildReplica({
    config: await loadConfig(sb.configFile),
    request: { cluster: 'sandbox', replica: 'sandbox-r1', donor: 'sandbox-primary', strategy, execute: true, force: true },
    secrets: new SecretResolver(),
    store: new MemoryStore(),
    execution: {
      workers: 4,
      onEvent: (e) => {
        if (e.status !== 'done' || !steps) return;
        steps.set(e.step, performance.now() - at);
        at = performance.now();
      },
    },
  });
  return performance.now() - t;
}

/**
 * Issue #15's benchmark: at 400k and 2M rows, rebuild sandbox-r1 (from the primary) with the raw
 * physical pipeline, replwatch physical, replwatch logical, `mariadb-dump | mariadb` and
 * mydumper/myloader, on the same servers in the same run, and the ratios.
 */
export async function benchPhysicalRebuild(): Promise<Record<string, Record<string, number>>> {
  const sb = await sandboxUp({ dir: mkdtempSync(join(tmpdir(), 'rw-bench-physical-')), ownerPid: process.pid, agents: true });
  const out: Record<string, Record<string, number>> = {};
  try {
    await root(sb, 'sandbox-primary', 'CREATE DATABASE benchdb');
    let loaded = 0;
    for (const rows of [400_000, 2_000_000]) {
      console.log(`\n== physical rebuild: ${rows} rows in ${TABLES} tables ==`);
      const per = rows / TABLES;
      for (let i = 0; i < TABLES; i++) {
        await root(
          sb,
          'sandbox-primary',
          `USE benchdb; CREATE TABLE IF NOT EXISTS benchdb.t${i} (id INT PRIMARY KEY, name VARCHAR(200), body TEXT, n1 BIGINT, n2 DOUBLE, created DATETIME);
           INSERT INTO benchdb.t${i} SELECT seq, CONCAT('name-', seq, '-', REPEAT('n', 40)), REPEAT(MD5(seq), 5), seq * 7, seq / 3, '2026-11-22 10:00:00' FROM seq_${loaded / TABLES + 1}_to_${per}`,
        );
      }
      loaded = rows;
      for (const r of ['sandbox-r1', 'sandbox-r2']) await caughtUp(sb, r);
      const mb =
        Number(
          (await root(sb, 'sandbox-primary', "SELECT SUM(DATA_LENGTH + INDEX_LENGTH) AS b FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'benchdb'"))[0]!
            .b,
        ) /
        2 ** 20;
      const p = sb.servers.find((s) => s.name === 'sandbox-primary')!;
      const r1 = sb.servers.find((s) => s.name === 'sandbox-r1')!;
      const figures: Record<string, number> = {};
      figures['raw physical pipeline (mariabackup | mbstream, prepare, start, replicate)'] = await rawPhysical(sb);
      const steps = new Map<string, number>();
      figures['replwatch physical (whole: checks, catch-up, checksums)'] = await replwatchRebuild(sb, 'physical', steps);
      console.log(`  replwatch physical by step, s: ${[...steps].map(([k, ms]) => `${k} ${(ms / 1000).toFixed(2)}`).join(', ')}`);
      figures['replwatch logical (whole: catch-up, checksums)'] = await replwatchRebuild(sb, 'logical');
      // The dump tools copy only: replication stopped, benchdb dropped on r1 first; r1 is rebuilt by replwatch after.
      const reset = () => root(sb, 'sandbox-r1', 'STOP SLAVE; SET sql_log_bin = 0; DROP DATABASE IF EXISTS benchdb; SET sql_log_bin = 1');
      await reset();
      const dump = shell(
        `mariadb-dump --single-transaction --skip-lock-tables -S ${p.socket} -uroot --databases benchdb | mariadb -S ${r1.socket} -uroot --init-command='SET sql_log_bin=0'`,
      );
      if (dump.ok) figures['mariadb-dump --single-transaction | mariadb (copy only)'] = dump.ms;
      if (ensureDebianTool('/usr/bin/mydumper', 'mydumper')) {
        await reset();
        const dir = mkdtempSync(join(tmpdir(), 'rw-mydumper-'));
        const my = shell(`mydumper -S ${p.socket} -u root -B benchdb -o ${dir}/dump -t 4 && myloader -S ${r1.socket} -u root -d ${dir}/dump -t 4 -o -e 0`);
        rmSync(dir, { recursive: true, force: true });
        if (my.ok) figures['mydumper | myloader, 4 threads (copy only)'] = my.ms;
      }
      await replwatchRebuild(sb, 'physical');
      const raw = figures['raw physical pipeline (mariabackup | mbstream, prepare, start, replicate)']!;
      const table = [['method', 'wall s', 'MB/s', 'ratio vs raw physical', 'ratio vs dump pipe']];
      for (const [name, ms] of Object.entries(figures))
        table.push([name, (ms / 1000).toFixed(2), (mb / (ms / 1000)).toFixed(1), (ms / raw).toFixed(2), dump.ok ? (ms / dump.ms).toFixed(2) : '-']);
      printTable(table);
      const physical = figures['replwatch physical (whole: checks, catch-up, checksums)']!;
      const logical = figures['replwatch logical (whole: catch-up, checksums)']!;
      console.log(
        `  data: ${mb.toFixed(0)} MB (InnoDB, indexes included). replwatch physical / raw: ${(physical / raw).toFixed(2)} (goal at 2M rows <= 1.25); logical / physical: ${(logical / physical).toFixed(2)} (goal >= 4); logical / dump pipe: ${dump.ok ? (logical / dump.ms).toFixed(2) : '-'} (goal <= 1.0)`,
      );
      out[`${rows}`] = figures;
    }
    return out;
  } finally {
    await sandboxDown(sb.dir);
  }
}

// `node --import tsx bench/rebuild-physical.ts` runs this benchmark alone.
if (import.meta.url === `file://${process.argv[1]}`) await benchPhysicalRebuild();
