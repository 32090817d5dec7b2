import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { runDrill } from '../gameday/drill';
import { SCENARIOS } from '../gameday/scenarios';
import type { Scorecard } from '../gameday/scorecard';
import { renderHtmlReport } from '../gameday/report';
import { table } from './table';
import type { Io } from './main';

const secs = (v: number | null) => (v === null ? '-' : `${v.toFixed(1)} s`);

export function renderScorecard(card: Scorecard, seconds: number): string {
  const rows = [['SCENARIO', 'EXPECTED', 'DETECTED', 'PAGES (firing/resolved)', 'RECOVERED', 'RESULT']];
  for (const s of card.scenarios) {
    if (s.skipped) {
      rows.push([s.name, s.expected, '-', '-', '-', `skipped: ${s.skipped}`]);
      continue;
    }
    const pages = `${s.pages.firing}/${s.pages.resolved}${s.pages.repeat ? ` +${s.pages.repeat} repeat` : ''}${s.refusedPublishes ? ` (${s.refusedPublishes} refused, retried)` : ''}`;
    rows.push([s.name, s.expected, s.detected ? `yes, ${secs(s.detectSeconds)}` : 'NO', pages, s.recovered ? `yes, ${secs(s.recoverSeconds)}` : 'NO', s.passed ? 'pass' : `MISSED${s.error ? `: ${s.error}` : ''}`]);
  }
  const ran = card.scenarios.filter((s) => !s.skipped);
  const odd = ran.filter((s) => !s.passed && s.pageLog.length).map((s) => `${s.name} paged:\n${s.pageLog.map((l) => `  ${l}`).join('\n')}`);
  return [
    table(rows),
    ...(odd.length ? ['', ...odd] : []),
    '',
    `false pages during the healthy baseline: ${card.falsePages}${card.falsePages ? ` (${card.falsePageSubjects.join('; ')})` : ''}`,
    `${ran.filter((s) => s.passed).length} of ${ran.length} scenarios passed in ${seconds.toFixed(0)} s${card.passed ? '' : ' -- the drill FAILED'}`,
  ].join('\n');
}

/** `replwatch gameday`: break a local topology on purpose and score the monitor. */
export function registerGameday(program: Command, io: Io, setCode: (c: number) => void): void {
  program
    .command('gameday')
    .description('break a local topology on purpose (sandbox) and score detection, paging and recovery; exit 1 if any scenario missed')
    .option('--scenario <name...>', `run only these (default: all): ${SCENARIOS.map((s) => s.name).join(', ')}`)
    .option('--json', 'print the scorecard as one JSON document on stdout, nothing else')
    .option('--report <file.html>', 'also write a self-contained HTML report with a timeline')
    .option('--dir <dir>', "where the drill's sandbox lives (default: a new temporary directory)")
    .option('--baseline <seconds>', 'healthy seconds watched before the first fault', '6')
    .action(async (o: { scenario?: string[]; json?: boolean; report?: string; dir?: string; baseline: string }) => {
      const result = await runDrill({ scenarios: o.scenario, dir: o.dir, baselineSeconds: Number(o.baseline), log: (line) => io.err(line) });
      if (o.report) {
        await writeFile(o.report, renderHtmlReport(result, new Date()));
        io.err(`report: ${o.report}`);
      }
      if (o.json) io.out(JSON.stringify({ ...result.scorecard, seconds: result.seconds }, null, 2));
      else io.out(renderScorecard(result.scorecard, result.seconds));
      setCode(result.scorecard.passed ? 0 : 1);
    });
}
