import type { DrillResult, Series } from './drill';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Series colours; also what the report test looks for in Chromium's screenshot. */
export const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#17becf'];
export const FIRING = '#d62728';
export const RESOLVED = '#2ca02c';

const W = 1100;
const PANEL_H = 180;
const M = { left: 56, right: 16, top: 22, bottom: 26 };

/** One chart panel: the series as lines, fault windows as bands, pages as ticks along the top. */
function panel(title: string, unit: string, series: Series[], r: DrillResult, yFloor: number): string {
  const { from, to } = r.timeline;
  const span = Math.max(1, to - from);
  const values = series.flatMap((s) => s.points.map(([, v]) => v));
  const yMax = Math.max(yFloor, ...values) * 1.1;
  const x = (t: number) => M.left + ((t - from) / span) * (W - M.left - M.right);
  const y = (v: number) => M.top + (1 - v / yMax) * (PANEL_H - M.top - M.bottom);
  const parts: string[] = [];
  r.timeline.faults
    .filter((f) => !f.skipped)
    .forEach((f, i) => {
      const x0 = x(f.injectedAt);
      parts.push(
        `<rect class="fault" x="${x0.toFixed(1)}" y="${M.top}" width="${Math.max(1, x(f.recoverAt) - x0).toFixed(1)}" height="${PANEL_H - M.top - M.bottom}"><title>${esc(f.name)}: ${esc(f.fault)}</title></rect>`,
      );
      // Staggered, so neighbouring short faults keep readable labels.
      parts.push(`<text class="fault-label" x="${(x0 + 2).toFixed(1)}" y="${M.top + 10 + (i % 2) * 12}">${esc(f.name)}</text>`);
    });
  for (let i = 0; i <= 4; i++) {
    const v = (yMax / 4) * i;
    parts.push(
      `<line class="grid" x1="${M.left}" x2="${W - M.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}"/><text class="axis" x="${M.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${v.toFixed(v < 10 ? 1 : 0)}</text>`,
    );
  }
  for (let t = 0; t <= span; t += span > 240_000 ? 60_000 : 30_000) {
    parts.push(`<text class="axis" x="${x(from + t).toFixed(1)}" y="${PANEL_H - 8}" text-anchor="middle">${Math.round(t / 1000)} s</text>`);
  }
  series.forEach((s, i) => {
    const pts = s.points.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    parts.push(`<polyline class="series" stroke="${PALETTE[i % PALETTE.length]}" points="${pts}"><title>${esc(s.label)} (${unit})</title></polyline>`);
  });
  for (const p of r.timeline.pages.filter((p) => p.kind !== 'repeat')) {
    const px = x(p.at).toFixed(1);
    parts.push(
      `<line class="page" stroke="${p.kind === 'firing' ? FIRING : RESOLVED}" x1="${px}" x2="${px}" y1="${M.top - 8}" y2="${PANEL_H - M.bottom}"><title>${esc(new Date(p.at).toISOString())} ${esc(p.subject)}</title></line>`,
    );
  }
  const legend = series.map((s, i) => `<span class="key" style="--c:${PALETTE[i % PALETTE.length]}">${esc(s.label)}</span>`).join(' ');
  return `<h3>${esc(title)} <small>(${esc(unit)})</small></h3><div class="legend">${legend || 'no data'} <span class="key" style="--c:${FIRING}">firing page</span> <span class="key" style="--c:${RESOLVED}">resolved page</span> <span class="key band">fault until repair</span></div>
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${PANEL_H}" width="${W}" height="${PANEL_H}" role="img" aria-label="${esc(title)}">${parts.join('')}</svg>`;
}

const secs = (v: number | null) => (v === null ? '–' : `${v.toFixed(1)} s`);

/** The game day report: one self-contained HTML file (inline CSS and SVG, nothing fetched). Pure. */
export function renderHtmlReport(r: DrillResult, generatedAt: Date): string {
  const card = r.scorecard;
  const rows = card.scenarios
    .map((s) => {
      const result = s.skipped ? `skipped: ${s.skipped}` : s.passed ? 'pass' : `MISSED${s.error ? `: ${s.error}` : ''}`;
      const cls = s.skipped ? 'skip' : s.passed ? 'pass' : 'miss';
      const pages = s.skipped
        ? '–'
        : `${s.pages.firing} firing, ${s.pages.resolved} resolved${s.pages.repeat ? `, ${s.pages.repeat} repeat` : ''}${s.refusedPublishes ? ` (${s.refusedPublishes} refused by SNS, retried)` : ''}`;
      const fault = r.timeline.faults.find((f) => f.name === s.name)?.fault ?? '';
      const log = s.pageLog.length ? `<details><summary>pages</summary><pre>${esc(s.pageLog.join('\n'))}</pre></details>` : '';
      return `<tr class="${cls}"><td><b>${esc(s.name)}</b><br><small>${esc(fault)}</small></td><td>${esc(s.incidents.map((i) => i.code).join(' + '))}<br><small>${esc(s.incidents.map((i) => i.target).join(', '))}</small></td><td>${s.skipped ? '–' : s.detected ? `yes, ${secs(s.detectSeconds)}` : 'NO'}</td><td>${pages}${log}</td><td>${s.skipped ? '–' : s.recovered ? `yes, ${secs(s.recoverSeconds)}` : 'NO'}</td><td>${esc(result)}</td></tr>`;
    })
    .join('\n');
  const ran = card.scenarios.filter((s) => !s.skipped);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>replwatch game day ${esc(generatedAt.toISOString())}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1150px}
h1{margin:0 0 4px}.verdict{font-size:18px;font-weight:600}.ok{color:${RESOLVED}}.bad{color:${FIRING}}
table{border-collapse:collapse;width:100%;margin:12px 0}td,th{border:1px solid #ddd;padding:6px;vertical-align:top;text-align:left}
tr.pass td:last-child{color:${RESOLVED};font-weight:600}tr.miss td:last-child{color:${FIRING};font-weight:600}tr.skip{color:#888}
svg{display:block;border:1px solid #ddd;background:#fff}.series{fill:none;stroke-width:2}.grid{stroke:#eee}.axis{font-size:11px;fill:#666}
.fault{fill:#ffcc00;fill-opacity:.18}.fault-label{font-size:10px;fill:#886600}.page{stroke-width:2}
.legend{margin:4px 0}.key{display:inline-block;margin-right:12px}.key::before{content:"";display:inline-block;width:14px;height:4px;margin-right:4px;vertical-align:middle;background:var(--c)}.key.band::before{background:#ffcc00;opacity:.4;height:10px}
pre{white-space:pre-wrap;margin:4px 0}small{color:#666}
</style></head><body>
<h1>replwatch game day</h1>
<div>${esc(generatedAt.toISOString())} · ${ran.length} scenarios in ${r.seconds.toFixed(0)} s · false pages during the healthy baseline: ${card.falsePages}</div>
<p class="verdict ${card.passed ? 'ok' : 'bad'}">${card.passed ? 'PASSED' : 'FAILED'}: ${ran.filter((s) => s.passed).length} of ${ran.length} scenarios detected, paged once, and recovered</p>
<table><thead><tr><th>scenario</th><th>expected</th><th>detected</th><th>pages on-call received</th><th>recovered</th><th>result</th></tr></thead><tbody>
${rows}
</tbody></table>
<h2>Timeline</h2>
${panel('Replica lag', 's', r.timeline.lag, r, 5)}
${panel('Packet loss', '%', r.timeline.loss, r, 10)}
<p><small>Seconds since the drill started. Lines are what the monitor measured (its metrics); yellow bands run from each fault to its repair; vertical marks are the pages on-call received (red firing, green resolved). Hover for details.</small></p>
</body></html>
`;
}
