import type { RebuildEvent } from '../runbooks/logical';

/** In a log or a pipe, a progress line at most this often: a long copy is a handful of lines, not one per batch. */
export const LOG_EVERY_MS = 5000;
/** A copy without progress this long says so: a stalled copy is not silence. */
const STALL_MS = 30_000;
/** On a terminal, the line is redrawn at most this often: readable, and no flood of output over ssh. */
const REDRAW_MS = 100;

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const count = (n: number) => n.toLocaleString('en-US');

function duration(s: number): string {
  return s < 120 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** Rows done of about how many, pace, time left at that pace (measured, else --), and the table being copied. */
export function progressText(e: RebuildEvent): string {
  if (e.doneRows === undefined && e.doneBytes !== undefined) {
    // The physical strategy's stream: bytes of data files, not rows.
    const pct = e.allBytes ? `${Math.min(100, Math.round((e.doneBytes / e.allBytes) * 100))}%` : '--%';
    const pace = e.bytesPerSecond === undefined ? '-- MB/s' : `${mb(e.bytesPerSecond)}/s`;
    const eta = e.etaSeconds === undefined ? 'ETA --' : `ETA ${duration(e.etaSeconds)}`;
    return `  stream: ${mb(e.doneBytes)} of ~${mb(e.allBytes ?? 0)} (${pct}), ${pace}, ${eta}`;
  }
  const pct = e.allRows ? `${Math.min(100, Math.round(((e.doneRows ?? 0) / e.allRows) * 100))}%` : '100%';
  const pace = e.bytesPerSecond === undefined ? '-- MB/s' : `${mb(e.bytesPerSecond)}/s`;
  const eta = e.etaSeconds === undefined ? 'ETA --' : `ETA ${duration(e.etaSeconds)}`;
  return `  copy: ${count(e.doneRows ?? 0)} of ~${count(e.allRows ?? 0)} rows (${pct}), ${pace}, ${eta} | ${e.table}`;
}

/**
 * A rebuild's events as a person reads them. Steps are lines of their own. The copy's progress,
 * on a terminal, is one line redrawn in place (carriage return, clear to the end of the line) at
 * most every REDRAW_MS, ended with its last figures when the copy ends; in a log or a pipe, a
 * line at most every LOG_EVERY_MS. When the copy ends, one line says what it copied and how fast.
 */
export class ProgressRenderer {
  private drawn = false;
  private lastDrawn = Number.NEGATIVE_INFINITY;
  private lastLine = 0;
  private copyStarted: string | undefined;
  private latest: RebuildEvent | undefined;
  private lastProgress = 0;
  /** The stall told last, as how long the copy had been quiet then (0: none told since the last progress). */
  private stallTold = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly o: {
      /** Progress on a terminal: one line redrawn in place. */
      tty: boolean;
      /** Writes as is, no newline added (the terminal's line). */
      write: (text: string) => void;
      /** A progress line, in a log or a pipe. */
      progressLine: (line: string) => void;
      /** A step's line. */
      stepLine: (line: string) => void;
      now?: () => number;
    },
  ) {}

  private now(): number {
    return this.o.now?.() ?? Date.now();
  }

  onEvent(e: RebuildEvent): void {
    if (e.status === 'progress') {
      this.latest = e;
      this.lastProgress = this.now();
      this.stallTold = 0;
      if (this.o.tty) {
        if (this.now() - this.lastDrawn < REDRAW_MS) return;
        this.o.write(`\r\x1b[K${progressText(e)}`);
        this.drawn = true;
        this.lastDrawn = this.now();
      } else if (this.now() - this.lastLine >= LOG_EVERY_MS) {
        this.o.progressLine(progressText(e));
        this.lastLine = this.now();
      }
      return;
    }
    if (this.drawn) {
      // The copy's last figures, which a throttled redraw may not have shown.
      this.o.write(`\r\x1b[K${progressText(this.latest!)}\n`);
      this.drawn = false;
    }
    if ((e.step === 'copy rows' || e.step === 'stream backup') && e.status === 'start') {
      this.copyStarted = e.at;
      this.lastLine = this.lastProgress = this.now();
      // No event comes while a statement hangs: the clock asks.
      this.timer = setInterval(() => this.tick(), LOG_EVERY_MS).unref();
    } else {
      // Any other event (the copy's end, its failure, a later step) is past the copy.
      clearInterval(this.timer);
      this.timer = undefined;
    }
    this.o.stepLine(
      `${e.status === 'start' ? '->' : e.status === 'done' ? 'ok' : `  ${e.status}`} ${e.step}${e.detail ? `: ${e.detail}` : this.copySummary(e)}`,
    );
  }

  /**
   * Every STALL_MS of a stall: the copy has reported nothing for that long (a frozen donor or
   * replica, a lock wait). Told again as it grows, so a log read later shows how long it lasted.
   */
  tick(): void {
    const quiet = this.now() - this.lastProgress;
    if (quiet < this.stallTold + STALL_MS) return;
    this.stallTold = quiet;
    const where = this.latest?.table ? ` (${this.latest.table}, ${count(this.latest.doneRows ?? 0)} of ~${count(this.latest.allRows ?? 0)} rows)` : '';
    const line = `  copy: no progress for ${Math.round(quiet / 1000)} s${where}: the donor or the replica may be stalled; each statement gives up after its timeout`;
    if (this.drawn) {
      this.o.write(`\r\x1b[K${line}\n`);
      this.drawn = false;
    } else this.o.progressLine(line);
  }

  /** What the copy did, on its `ok` line. */
  private copySummary(e: RebuildEvent): string {
    if (e.step !== 'copy rows' || e.status !== 'done' || !this.copyStarted) return '';
    const seconds = Math.max(0.001, (Date.parse(e.at) - Date.parse(this.copyStarted)) / 1000);
    const bytes = this.latest?.doneBytes ?? 0;
    return `: ${count(this.latest?.doneRows ?? 0)} rows, ${mb(bytes)} in ${seconds.toFixed(1)} s (${mb(bytes / seconds)}/s)`;
  }
}
