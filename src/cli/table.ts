import type { CheckReport } from '../check/report';
import type { Finding } from '../model/findings';

/** Plain aligned columns; colour only when writing to a terminal. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}

const COLOURS: Record<Finding['severity'], string> = { critical: '\x1b[31m', warning: '\x1b[33m', info: '\x1b[36m' };

function paint(text: string, colour: string, tty: boolean): string {
  return tty ? `${colour}${text}\x1b[0m` : text;
}

const fmt = (v: number | null | undefined, unit: string) => (v === null || v === undefined ? '-' : `${v.toFixed(unit === 'ms' ? 1 : 2)} ${unit}`);

export function renderReport(report: CheckReport, tty = false): string {
  const lines: string[] = [];
  const rows: string[][] = [['TARGET', 'KIND', 'STATE', 'LAG', 'SOURCE', 'IO', 'SQL', 'RO', 'PROBE']];
  for (const o of report.observations) {
    if (o.kind === 'mysql-primary') {
      rows.push([`${o.cluster}/${o.target}`, 'primary', o.reachable ? 'up' : 'UNREACHABLE', o.heartbeatAgeSeconds === null ? '-' : `hb ${fmt(o.heartbeatAgeSeconds, 's')}`, '', '', '', o.readOnly === null ? '-' : o.readOnly ? 'on' : 'off', fmt(o.probeMs, 'ms')]);
    } else {
      const yn = (b: boolean | null) => (b === null ? '-' : b ? 'yes' : 'NO');
      rows.push([`${o.cluster}/${o.target}`, 'replica', o.reachable ? 'up' : 'UNREACHABLE', fmt(o.lagSeconds, 's'), o.lagSource ?? '-', yn(o.ioRunning), yn(o.sqlRunning), o.readOnly === null ? '-' : o.readOnly ? 'on' : 'OFF', fmt(o.probeMs, 'ms')]);
    }
  }
  lines.push(table(rows), '');
  if (report.findings.length === 0) {
    lines.push(paint('OK: no findings', '\x1b[32m', tty));
  } else {
    for (const f of report.findings) {
      lines.push(`${paint(f.severity.toUpperCase().padEnd(8), COLOURS[f.severity], tty)} ${f.code} ${f.cluster}/${f.target}: ${f.summary}`);
      if (f.runbook) lines.push(`         fix: ${f.runbook}`);
      else if (f.action) lines.push(`         next: ${f.action}`);
    }
  }
  lines.push(`checked at ${report.checkedAt}`);
  return lines.join('\n');
}
