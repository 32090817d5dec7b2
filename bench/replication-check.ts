import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { parseConfig } from '../src/config/load';
import { SecretResolver } from '../src/config/secrets';
import { runCheck } from '../src/monitor/runCheck';
import type { SandboxState } from '../src/sandbox/sandbox';
import { ensureDebianTool, median, printTable } from './peers';

const TARGETS = 200;
const RUNS = 5;

/**
 * Issue #2's benchmark: one `check` of 200 replica targets (the sandbox's two replicas listed
 * under 100 names each, one connection per name) against 200 sequential runs of Debian's
 * monitoring-plugins `check_mysql -S`, the classic per-replica Nagios check, on the same servers.
 */
export async function benchReplicationCheck(sb: SandboxState): Promise<Record<string, number>> {
  console.log(`\n== replication check: ${TARGETS} replica targets ==`);
  const cluster = parse(readFileSync(sb.configFile, 'utf8')).clusters[0];
  const replicas = sb.servers.filter((s) => s.role === 'replica');
  const config = parseConfig(
    JSON.stringify({
      clusters: [
        {
          ...cluster,
          replicas: Array.from({ length: TARGETS }, (_, i) => ({ name: `bench-r${i}`, host: '127.0.0.1', port: replicas[i % replicas.length]!.port })),
        },
      ],
    }),
    'bench.json',
  );
  const file = join(mkdtempSync(join(tmpdir(), 'rw-bench-')), 'bench.json');
  writeFileSync(file, JSON.stringify(config));

  const inProcess: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    const report = await runCheck(config, new SecretResolver());
    inProcess.push(performance.now() - t);
    if (report.findings.some((f) => f.severity !== 'info')) throw new Error(`bench topology unhealthy: ${report.findings[0]!.summary}`);
  }
  const cliRuns: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    const r = spawnSync(process.execPath, ['bin/replwatch.mjs', 'check', '--config', file, '--json'], { encoding: 'utf8' });
    cliRuns.push(performance.now() - t);
    if (r.status !== 0) throw new Error(`replwatch check exited ${r.status}: ${r.stderr}`);
  }
  const rw = median(inProcess);
  const rwCli = median(cliRuns);
  const rows = [
    ['tool', 'wall ms', 'per target ms', 'ratio vs check_mysql'],
    [`replwatch check (in process, median of ${RUNS})`, rw.toFixed(0), (rw / TARGETS).toFixed(2), ''],
    ['replwatch check (CLI process, median of 3)', rwCli.toFixed(0), (rwCli / TARGETS).toFixed(2), ''],
  ];
  const result: Record<string, number> = { replwatchCheck200Ms: rw, replwatchCli200Ms: rwCli };
  const checkMysql = ensureDebianTool('/usr/lib/nagios/plugins/check_mysql', 'monitoring-plugins-standard');
  if (checkMysql) {
    const t = performance.now();
    for (let i = 0; i < TARGETS; i++) {
      const port = replicas[i % replicas.length]!.port;
      const r = spawnSync(checkMysql, ['-H', '127.0.0.1', '-P', String(port), '-u', 'replwatch', '-p', sb.password, '-S'], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`check_mysql exited ${r.status}: ${r.stdout}`);
    }
    const peer = performance.now() - t;
    result.checkMysql200Ms = peer;
    rows.push([`check_mysql -S x ${TARGETS}, sequential`, peer.toFixed(0), (peer / TARGETS).toFixed(2), '1.00']);
    rows[1]![3] = (rw / peer).toFixed(2);
    rows[2]![3] = (rwCli / peer).toFixed(2);
  }
  printTable(rows);
  console.log(`  goal: ${TARGETS} targets under 2000 ms -> ${rw < 2000 ? 'met' : 'NOT met'} (${rw.toFixed(0)} ms)`);
  return result;
}
