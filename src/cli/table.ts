import type { CheckReport } from '../monitor/report';
import type { Finding } from '../model/findings';

/** Plain aligned columns. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const COLOURS: Record<Finding['severity'], string> = { critical: '\x1b[31m', warning: '\x1b[33m', info: '\x1b[36m' };

function paint(text: string, colour: string, tty: boolean): string {
  return tty ? `${colour}${text}\x1b[0m` : text;
}

const num = (v: number | null | undefined, unit: string, digits = 2) => (v === null || v === undefined ? '-' : `${v.toFixed(digits)} ${unit}`);
const yn = (b: boolean | null) => (b === null ? '-' : b ? 'yes' : 'NO');
const up = (b: boolean) => (b ? 'up' : 'UNREACHABLE');

/** The human view of a report: one table per kind of target, then the findings, worst first. */
export function renderReport(report: CheckReport, tty = false): string {
  const sections: string[] = [];
  const mysql: string[][] = [['MYSQL', 'ROLE', 'STATE', 'LAG', 'SOURCE', 'IO', 'SQL', 'RO', 'PROBE']];
  const memcache: string[][] = [['MEMCACHE', 'STATE', 'ROUND TRIP', 'UPTIME', 'CONNS', 'EVICTIONS']];
  const network: string[][] = [['NETWORK', 'SOURCE', 'LOSS', 'RTT P50', 'RTT P95', 'JITTER']];
  for (const o of report.observations) {
    switch (o.kind) {
      case 'mysql-primary':
        mysql.push([
          `${o.cluster}/${o.target}`,
          'primary',
          up(o.reachable),
          o.heartbeatAgeSeconds === null ? '-' : `hb ${num(o.heartbeatAgeSeconds, 's')}`,
          '',
          '',
          '',
          o.readOnly === null ? '-' : o.readOnly ? 'on' : 'off',
          num(o.probeMs, 'ms', 1),
        ]);
        break;
      case 'mysql-replica':
        mysql.push([
          `${o.cluster}/${o.target}`,
          'replica',
          up(o.reachable),
          num(o.lagSeconds, 's'),
          o.lagSource ?? '-',
          yn(o.ioRunning),
          yn(o.sqlRunning),
          o.readOnly === null ? '-' : o.readOnly ? 'on' : 'OFF',
          num(o.probeMs, 'ms', 1),
        ]);
        break;
      case 'memcache':
        memcache.push([
          `${o.pool}/${o.target}`,
          up(o.reachable),
          num(o.roundTripMs, 'ms'),
          o.uptimeSeconds == null ? '-' : `${o.uptimeSeconds} s`,
          String(o.currConnections ?? '-'),
          String(o.evictions ?? '-'),
        ]);
        break;
      case 'network':
        network.push([
          `${o.group}/${o.target}`,
          o.source,
          o.lossPercent === null ? (o.error ? 'error' : '-') : `${o.lossPercent.toFixed(1)} %`,
          num(o.rttMs.p50, 'ms'),
          num(o.rttMs.p95, 'ms'),
          num(o.jitterMs, 'ms'),
        ]);
        break;
    }
  }
  for (const t of [mysql, memcache, network]) if (t.length > 1) sections.push(table(t));
  const lines = [sections.join('\n\n'), ''];
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
