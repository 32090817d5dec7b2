import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { costModel, costTable, type Measured } from '../../../bench/cost';
import { SCENARIOS, type DrillContext } from '../../../src/gameday/scenarios';
import { findingsTable } from '../../../scripts/findings-table';
import { FINDING_CODES } from '../../../src/model/codes';
import { quoted, readDoc, ROOT, section, table } from '../../support/docs';

/** What the scenarios' expectations read of a drill: two memcached, the lossy host, the dead-man alarm. */
const drill = {
  sandbox: { memcached: [{ port: 11211 }, { port: 11212 }], lossyHost: { nsAddr: '198.18.0.2', port: 11211 } },
  deadMan: { name: 'replwatch-gameday-monitor-not-reporting' },
} as unknown as DrillContext;

describe('the tables of the docs hold what the code holds', () => {
  it('docs/findings.md: the table is the code catalogue (model/codes.ts), one row per code', () => {
    expect(table(readDoc('docs/findings.md'))).toEqual(findingsTable());
    expect(findingsTable().rows.map((r) => quoted(r[0]!)[0])).toEqual(FINDING_CODES);
  });

  it('docs/gameday.md: a row for every scenario of the drill, naming the page it must send', () => {
    const { rows } = table(section(readDoc('docs/gameday.md'), 'Game day'));
    const byName = new Map(rows.flatMap((r) => quoted(r[0]!).map((name) => [name, r[2]!] as const)));
    expect([...byName.keys()].sort()).toEqual(SCENARIOS.map((s) => s.name).sort());
    for (const s of SCENARIOS) {
      const pages = [s.expected(drill), ...(s.alsoExpected?.(drill) ?? [])].filter((p) => (FINDING_CODES as readonly string[]).includes(p.code));
      for (const p of pages) {
        expect(quoted(byName.get(s.name)!), `${s.name} pages ${p.code}`).toContain(p.code);
        const replica = /^sandbox-(r\d)$/.exec(p.target)?.[1];
        if (replica) expect(byName.get(s.name), `${s.name} pages ${p.code} for ${p.target}`).toMatch(new RegExp(`\`${p.code}\` ${replica}\\b`));
      }
    }
  });

  it("docs/cost.md: the cost table is bench/cost.ts's model on bench/measured.json", async () => {
    const measured = JSON.parse(readFileSync(join(ROOT, 'bench', 'measured.json'), 'utf8')) as Measured;
    const [header, ...rows] = costTable(await costModel(measured));
    expect(table(readDoc('docs/cost.md'))).toEqual({ header, rows });
  });
});
