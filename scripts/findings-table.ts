import { CODES, FINDING_CODES } from '../src/model/codes';

/**
 * docs/findings.md's table, from the code catalogue (test/unit/docs/tables.test.ts holds the doc
 * to it). `npx tsx scripts/findings-table.ts` prints it, to paste after changing a code's entry.
 */
export function findingsTable(): { header: string[]; rows: string[][] } {
  return {
    header: ['code', 'severity', 'when', 'next step (also in the finding)'],
    rows: FINDING_CODES.map((code) => [`\`${code}\``, CODES[code].severity, CODES[code].meaning, CODES[code].next]),
  };
}

if (process.argv[1]?.endsWith('findings-table.ts')) {
  const { header, rows } = findingsTable();
  for (const r of [header, header.map(() => '---'), ...rows]) console.log(`| ${r.join(' | ')} |`);
}
