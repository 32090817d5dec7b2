import { runDrill } from '../src/gameday/drill';
import { printTable } from './peers';

/**
 * Issue #6's benchmark (and #4's detection latency, per fault): the whole game day on a sandbox of
 * its own, `watch --every 1s` as the monitor. Prints the drill's wall time against the 3-minute
 * goal and each scenario's seconds to page and to resolve after the repair.
 */
export async function benchGameday(): Promise<{ seconds: number; passed: number; scenarios: number }> {
  console.log('\n== game day: the whole drill, fault -> page -> repair -> resolve, watch --every 1s ==');
  const r = await runDrill({});
  const rows = [['scenario', 'expected', 'detect s', 'recover s', 'pages (firing/resolved)', 'result']];
  for (const s of r.scorecard.scenarios) {
    if (s.skipped) rows.push([s.name, s.expected, '-', '-', '-', `skipped: ${s.skipped}`]);
    else
      rows.push([
        s.name,
        s.expected,
        s.detectSeconds?.toFixed(2) ?? 'missed',
        s.recoverSeconds?.toFixed(2) ?? 'missed',
        `${s.pages.firing}/${s.pages.resolved}`,
        s.passed ? 'pass' : 'MISSED',
      ]);
  }
  printTable(rows);
  console.log(`  whole drill: ${r.seconds.toFixed(1)} s (goal: under 180 s); false pages in the baseline: ${r.scorecard.falsePages}`);
  console.log('  For comparison: RDS publishes ReplicaLag once a minute (60 s period), and the mysqld_exporter');
  console.log("  mixin's replication alerts wait `for: 2m` after a scrape sees the fault.");
  const run = r.scorecard.scenarios.filter((s) => !s.skipped);
  return { seconds: r.seconds, passed: run.filter((s) => s.passed).length, scenarios: run.length };
}
