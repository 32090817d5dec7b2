import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { runDrill } from '../gameday/drill';
import { SCENARIOS } from '../gameday/scenarios';
import type { Scorecard } from '../gameday/scorecard';
import { renderHtmlReport } from '../gameday/report';
import { fisTemplates } from '../gameday/fis';
import { loadConfig } from '../config/load';
import { table } from './table';
import type { Io } from './main';
import { configFileFrom } from './paths';
import { OperatorError } from '../util/errors';
import { countOption } from './options';

const secs = (v: number | null) => (v === null ? '-' : `${v.toFixed(1)} s`);

export function renderScorecard(card: Scorecard, seconds: number): string {
  const rows = [['SCENARIO', 'EXPECTED', 'DETECTED', 'PAGES (firing/resolved)', 'RECOVERED', 'RESULT']];
  for (const s of card.scenarios) {
    if (s.skipped) {
      rows.push([s.name, s.expected, '-', '-', '-', `skipped: ${s.skipped}`]);
      continue;
    }
    const pages = `${s.pages.firing}/${s.pages.resolved}${s.pages.repeat ? ` +${s.pages.repeat} repeat` : ''}${s.refusedPublishes ? ` (${s.refusedPublishes} refused, retried)` : ''}`;
    rows.push([
      s.name,
      s.incidents.map((i) => i.code).join(' + '),
      s.detected ? `yes, ${secs(s.detectSeconds)}` : 'NO',
      pages,
      s.recovered ? `yes, ${secs(s.recoverSeconds)}` : 'NO',
      s.passed ? 'pass' : `MISSED${s.error ? `: ${s.error}` : ''}`,
    ]);
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
    .addOption(new Option('--scenario <name...>', 'run only these (default: all)').choices(SCENARIOS.map((s) => s.name)))
    .option('--json', 'print the scorecard as one JSON document on stdout, nothing else')
    .option('--report <file.html>', 'also write a self-contained HTML report with a timeline')
    .option('--dir <dir>', "where the drill's sandbox lives (default: a new temporary directory)")
    .option('--baseline <seconds>', 'healthy seconds watched before the first fault', countOption(0), 6)
    .option('--emit-fis <dir>', 'instead of a local drill: write AWS FIS experiment templates for the --config fleet into <dir>')
    .option('--config <file>', 'with --emit-fis: the fleet config (default: $REPLWATCH_CONFIG, else replwatch.yml)')
    .option('--account <id>', 'with --emit-fis: the AWS account id of the resources')
    .option('--region <region>', 'with --emit-fis: their region', process.env.AWS_REGION ?? 'us-east-1')
    .option('--stage <stage>', "with --emit-fis: the deployed stage (names the monitor's dead-man alarm, each experiment's stop condition)", 'dev')
    .option('--role-arn <arn>', 'with --emit-fis: the role FIS assumes (default: replwatch-fis-<stage>)')
    .action(
      async (o: {
        scenario?: string[];
        json?: boolean;
        report?: string;
        dir?: string;
        baseline: number;
        emitFis?: string;
        config?: string;
        account?: string;
        region: string;
        stage: string;
        roleArn?: string;
      }) => {
        if (o.emitFis) {
          if (!o.account || !/^\d{12}$/.test(o.account))
            throw new OperatorError(`--emit-fis needs --account with a 12-digit AWS account id (got ${JSON.stringify(o.account ?? '')})`);
          const config = await loadConfig(configFileFrom(o.config));
          const experiments = fisTemplates(config, { account: o.account, region: o.region, stage: o.stage, roleArn: o.roleArn });
          await mkdir(o.emitFis, { recursive: true });
          for (const e of experiments) await writeFile(join(o.emitFis, e.file), `${JSON.stringify(e.template, null, 2)}\n`);
          if (o.json)
            io.out(
              JSON.stringify({ experiments: experiments.map((e) => ({ scenario: e.scenario, expect: e.expect, file: join(o.emitFis!, e.file) })) }, null, 2),
            );
          else
            io.out(
              `${table([['EXPERIMENT', 'REPLWATCH MUST PAGE', 'FILE'], ...experiments.map((e) => [e.scenario, e.expect, join(o.emitFis!, e.file)])])}\ncreate each with: aws fis create-experiment-template --cli-input-json file://<FILE>`,
            );
          return;
        }
        const result = await runDrill({ scenarios: o.scenario, dir: o.dir, baselineSeconds: o.baseline, log: (line) => io.err(line) });
        if (o.report) {
          await writeFile(o.report, renderHtmlReport(result, new Date()));
          io.err(`report: ${o.report}`);
        }
        if (o.json) io.out(JSON.stringify({ ...result.scorecard, seconds: result.seconds }, null, 2));
        else io.out(renderScorecard(result.scorecard, result.seconds));
        setCode(result.scorecard.passed ? 0 : 1);
      },
    );
}
