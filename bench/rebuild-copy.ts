import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/load';
import { SecretResolver } from '../src/config/secrets';
import type { SandboxState } from '../src/sandbox/sandbox';
import { rebuildReplica } from '../src/runbooks/rebuild';
import { MemoryStore } from '../src/state/store';
import { ensureDebianTool, printTable, root, shell } from './peers';

const TABLES = 4;
const ROWS = 100_000;

/**
 * Issue #5's benchmark: rebuild sandbox-r1 holding 400k rows (~100 MB) with replwatch's logical
 * strategy, and copy the same data with `mariadb-dump --single-transaction | mariadb` and with
 * mydumper/myloader (4 threads), on the same servers in the same run.
 */
export async function benchRebuild(sb: SandboxState): Promise<Record<string, number>> {
  console.log(`\n== replica rebuild: ${TABLES * ROWS} rows in ${TABLES} tables ==`);
  const p = sb.servers.find((s) => s.role === 'primary')!;
  const r1 = sb.servers.find((s) => s.name === 'sandbox-r1')!;
  const ddl = Array.from({ length: TABLES }, (_, i) => [
    `CREATE TABLE benchdb.t${i} (id INT PRIMARY KEY, name VARCHAR(200), body TEXT, n1 BIGINT, n2 DOUBLE, created DATETIME)`,
    `INSERT INTO benchdb.t${i} SELECT seq, CONCAT('name-', seq, '-', REPEAT('n', 40)), REPEAT(MD5(seq), 5), seq * 7, seq / 3, '2026-11-22 10:00:00' FROM seq_1_to_${ROWS}`,
  ]).flat();
  // Whatever fails, no benchdb is left behind: dropped on the primary (and by replication on the
  // replicas), and on r1 by hand, where a failed step may have left replication stopped.
  try {
    await root(sb, 'sandbox-primary', `CREATE DATABASE benchdb; USE benchdb; ${ddl.join(';\n')}`);
    const [pos] = (await root(sb, 'sandbox-primary', 'SELECT @@gtid_binlog_pos AS p')) as Array<{ p: string }>;
    for (const r of sb.servers.filter((s) => s.role === 'replica')) await root(sb, r.name, `SELECT MASTER_GTID_WAIT('${pos!.p}', 300)`);
    const [size] = (await root(
      sb,
      'sandbox-primary',
      "SELECT SUM(DATA_LENGTH + INDEX_LENGTH) AS b FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'benchdb'",
    )) as Array<{ b: string }>;
    const mb = Number(size!.b) / 1024 / 1024;
    const rows: string[][] = [['method', 'wall s', 'rows/s', 'MB/s', 'ratio vs dump pipe']];
    const rowsPerSecond: Record<string, number> = {};
    const add = (name: string, ms: number) => {
      rowsPerSecond[name] = (TABLES * ROWS) / (ms / 1000);
      rows.push([name, (ms / 1000).toFixed(2), rowsPerSecond[name].toFixed(0), (mb / (ms / 1000)).toFixed(1), '']);
    };

    // A clean starting point for the two dump tools: replication stopped, no benchdb on r1.
    const reset = () => root(sb, 'sandbox-r1', 'STOP SLAVE; SET sql_log_bin = 0; DROP DATABASE IF EXISTS benchdb; SET sql_log_bin = 1');

    await reset();
    const dump = shell(
      `mariadb-dump --single-transaction --skip-lock-tables -S ${p.socket} -uroot --databases benchdb | mariadb -S ${r1.socket} -uroot --init-command='SET sql_log_bin=0'`,
    );
    if (!dump.ok) throw new Error(`mariadb-dump | mariadb failed: ${dump.err}`);
    add('mariadb-dump --single-transaction | mariadb', dump.ms);

    const mydumper = ensureDebianTool('/usr/bin/mydumper', 'mydumper');
    if (mydumper) {
      await reset();
      const dir = mkdtempSync(join(tmpdir(), 'rw-mydumper-'));
      const out = shell(`mydumper -S ${p.socket} -u root -B benchdb -o ${dir}/dump -t 4 && myloader -S ${r1.socket} -u root -d ${dir}/dump -t 4 -o -e 0`);
      rmSync(dir, { recursive: true, force: true });
      if (out.ok) add('mydumper | myloader, 4 threads', out.ms);
      else rows.push(['mydumper | myloader', 'failed', out.err.replace(/\s+/g, ' ').slice(0, 80), '', '']);
    }

    // Last, replwatch: it also leaves r1 replicating again, verified.
    let copyStarted = 0;
    let copyMs = 0;
    const t = performance.now();
    await rebuildReplica({
      config: await loadConfig(sb.configFile),
      request: { cluster: 'sandbox', replica: 'sandbox-r1', execute: true, force: true },
      secrets: new SecretResolver(),
      store: new MemoryStore(),
      execution: {
        workers: 4,
        onEvent: (e) => {
          if (e.step === 'copy rows' && e.status === 'start') copyStarted = performance.now();
          if (e.step === 'copy rows' && e.status === 'done') copyMs = performance.now() - copyStarted;
        },
      },
    });
    const total = performance.now() - t;
    add('replwatch rebuild, copy only (4 workers)', copyMs);
    add('replwatch rebuild, whole (catch-up and checksums included)', total);
    for (const r of rows.slice(1)) if (r[1] !== 'failed') r[4] = (Number(r[1]) / (dump.ms / 1000)).toFixed(2);
    printTable(rows);
    console.log(`  data: ${mb.toFixed(0)} MB on disk (InnoDB, indexes included). Goal: replwatch under the dump pipe (ratio < 1.0).`);
    return rowsPerSecond;
  } finally {
    const drops = [
      ['sandbox-primary', 'DROP DATABASE IF EXISTS benchdb'],
      ['sandbox-r1', 'SET sql_log_bin = 0; DROP DATABASE IF EXISTS benchdb; SET sql_log_bin = 1'],
    ] as const;
    // A server that cannot drop it is reported, without hiding why the run failed.
    for (const [server, drop] of drops) await root(sb, server, drop).catch((e: Error) => console.error(`  benchdb left on ${server}: ${e.message}`));
  }
}
