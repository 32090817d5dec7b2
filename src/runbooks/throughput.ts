/** How far back the pace is measured: a copy that slows down (a big table, a busy donor) says so within it. */
export const PACE_WINDOW_MS = 30_000;

/**
 * Copy speed as measured over the last PACE_WINDOW_MS, and the time left at that speed. Counted
 * from the first reading, not from the start of the copy, so the first batch's warm-up
 * (connections, cold pages) is not taken for the pace; and nothing is predicted until a second of
 * copying has been measured. An average since the start would hide a slowdown for as long as the
 * copy had run fast. The time left goes by rows, which are counted exactly (InnoDB's byte figures
 * lag far behind a bulk load); bytes, from the inventory's bytes per row, give the pace a person
 * compares with the network.
 */
export class Throughput {
  private readings: Array<{ at: number; rows: number; bytes: number }> = [];

  constructor(
    private readonly now: () => number = Date.now,
    private readonly minMs = 1000,
    private readonly windowMs = PACE_WINDOW_MS,
  ) {}

  measure(done: { rows: number; bytes: number }, allRows: number): { bytesPerSecond?: number; etaSeconds?: number } {
    const at = this.now();
    this.readings.push({ at, ...done });
    // The oldest reading kept is the last one at least a window old: the window is always full.
    while (this.readings.length > 2 && at - this.readings[1]!.at >= this.windowMs) this.readings.shift();
    const first = this.readings[0]!;
    const seconds = (at - first.at) / 1000;
    const rows = done.rows - first.rows;
    if (seconds * 1000 < this.minMs || rows <= 0) return {};
    return { bytesPerSecond: (done.bytes - first.bytes) / seconds, etaSeconds: Math.max(0, Math.round((allRows - done.rows) / (rows / seconds))) };
  }
}
