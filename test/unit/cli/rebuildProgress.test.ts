import { describe, expect, it } from 'vitest';
import { ProgressRenderer, progressText } from '../../../src/cli/rebuildProgress';
import type { RebuildEvent } from '../../../src/runbooks/logical';
import { Throughput } from '../../../src/runbooks/throughput';

/**
 * A 300k-row copy as the executor reports it: a batch of 1000 rows each `batchMs`, after a first
 * batch that takes `warmupMs` (connections, cold pages), on a clock the test drives.
 */
function copy(batchMs: number, warmupMs = 0) {
  let now = 0;
  const pace = new Throughput(() => now);
  const events: Array<{ e: RebuildEvent; now: number }> = [];
  const at = () => new Date(now).toISOString();
  const allRows = 300_000;
  const allBytes = allRows * 100;
  events.push({ e: { step: 'copy rows', status: 'start', at: at() }, now });
  for (let done = 1000; done <= allRows; done += 1000) {
    now += done === 1000 ? warmupMs + batchMs : batchMs;
    const e: RebuildEvent = {
      step: 'copy rows',
      status: 'progress',
      table: '`app`.`big`',
      rows: done,
      totalRows: allRows,
      doneRows: done,
      allRows,
      doneBytes: done * 100,
      allBytes,
      at: at(),
      ...pace.measure({ rows: done, bytes: done * 100 }, allRows),
    };
    events.push({ e, now });
  }
  events.push({ e: { step: 'copy rows', status: 'done', at: at() }, now });
  return events;
}

function render(tty: boolean, events: Array<{ e: RebuildEvent; now: number }>) {
  let now = 0;
  const out = { written: '', progress: [] as string[], steps: [] as string[] };
  const r = new ProgressRenderer({
    tty,
    write: (t) => (out.written += t),
    progressLine: (l) => out.progress.push(l),
    stepLine: (l) => out.steps.push(l),
    now: () => now,
  });
  for (const x of events) {
    now = x.now;
    r.onEvent(x.e);
  }
  return out;
}

describe('rebuild progress', () => {
  it('in a log or a pipe: no line per batch; at most one every 5 s, and a summary line', () => {
    const short = render(false, copy(4000 / 300));
    expect(short.progress).toEqual([]);
    expect(short.steps).toEqual(['-> copy rows', 'ok copy rows: 300,000 rows, 28.6 MB in 4.0 s (7.2 MB/s)']);
    const long = render(false, copy(200));
    expect(long.progress.length).toBe(12);
    expect(long.progress[0]).toBe('  copy: 25,000 of ~300,000 rows (8%), 0.5 MB/s, ETA 55 s | `app`.`big`');
  });

  it('on a terminal: one line redrawn in place (at most ten times a second), ended with its last figures', () => {
    const out = render(true, copy(10));
    const frames = out.written.split('\r\x1b[K').slice(1);
    // 3 s of copying: 30 redraws, and the last figures once it is over.
    expect(frames).toHaveLength(31);
    expect(out.written.endsWith('\n')).toBe(true);
    expect(out.written.split('\n')).toHaveLength(2);
    expect(frames.at(-1)).toBe('  copy: 300,000 of ~300,000 rows (100%), 9.5 MB/s, ETA 0 s | `app`.`big`\n');
  });

  it('predicts nothing before a second of copying, then the time left at the measured pace', () => {
    // The job takes 4 s after a slow first batch: the first figure given is close, never an hour.
    const events = copy(4000 / 300, 500)
      .map((x) => x.e)
      .filter((e) => e.status === 'progress');
    const first = events.findIndex((e) => e.etaSeconds !== undefined);
    expect(events.slice(0, first).every((e) => progressText(e).includes('-- MB/s, ETA --'))).toBe(true);
    const elapsed = (1000 + 500) / 1000;
    expect(first).toBeGreaterThan(0);
    expect(events[first]!.etaSeconds).toBeGreaterThanOrEqual(Math.floor(4.5 - elapsed - 1));
    expect(events[first]!.etaSeconds).toBeLessThanOrEqual(Math.ceil(4.5 - elapsed + 1));
  });

  it('measures the pace over the last 30 s: a copy that slows down says so, instead of an average since the start', () => {
    let now = 0;
    const pace = new Throughput(() => now);
    let last: { bytesPerSecond?: number; etaSeconds?: number } = {};
    // 60 s at 1000 rows/s, then 60 s at 100 rows/s, of 1,000,000 rows.
    for (let s = 1, rows = 0; s <= 120; s++) {
      now = s * 1000;
      rows += s <= 60 ? 1000 : 100;
      last = pace.measure({ rows, bytes: rows * 100 }, 1_000_000);
    }
    expect(last.bytesPerSecond).toBeCloseTo(100 * 100, -2);
    // 934,000 rows left at 100 rows/s.
    expect(last.etaSeconds).toBeGreaterThan(9000);
  });

  it('in a log or a pipe, says when the copy has made no progress for a while, and again as it lasts: a stall is not silence', () => {
    let now = 0;
    const lines: string[] = [];
    const r = new ProgressRenderer({ tty: false, write: () => undefined, progressLine: (l) => lines.push(l), stepLine: () => undefined, now: () => now });
    r.onEvent({ step: 'copy rows', status: 'start', at: new Date(0).toISOString() });
    r.onEvent({ step: 'copy rows', status: 'progress', table: '`app`.`big`', doneRows: 1000, allRows: 300_000, at: new Date(0).toISOString() });
    now = 10_000;
    r.tick();
    expect(lines).toEqual([]);
    now = 31_000;
    r.tick();
    expect(lines).toEqual([
      '  copy: no progress for 31 s (`app`.`big`, 1,000 of ~300,000 rows): the donor or the replica may be stalled; each statement gives up after its timeout',
    ]);
    now = 33_000;
    r.tick();
    expect(lines).toHaveLength(1);
    // Told again as it lasts, with how long so far; a progress event starts the count over.
    now = 61_000;
    r.tick();
    expect(lines[1]).toMatch(/^ {2}copy: no progress for 61 s \(`app`.`big`/);
    r.onEvent({ step: 'copy rows', status: 'progress', table: '`app`.`big`', doneRows: 2000, allRows: 300_000, at: new Date(61_000).toISOString() });
    now = 80_000;
    r.tick();
    expect(lines.filter((l) => l.includes('no progress'))).toHaveLength(2);
    r.onEvent({ step: 'copy rows', status: 'done', at: new Date(80_000).toISOString() });
  });
});
