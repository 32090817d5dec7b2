/**
 * Copy speed as measured, and the time left at that speed. Counted from the first reading, not
 * from the start of the copy, so the first batch's warm-up (connections, cold pages) is not taken
 * for the pace; and nothing is predicted until a second of copying has been measured. The time
 * left goes by rows, which are counted exactly (InnoDB's byte figures lag far behind a bulk load);
 * bytes, from the inventory's bytes per row, give the pace a person compares with the network.
 */
export class Throughput {
  private first: { at: number; rows: number; bytes: number } | undefined;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly minMs = 1000,
  ) {}

  measure(done: { rows: number; bytes: number }, allRows: number): { bytesPerSecond?: number; etaSeconds?: number } {
    const at = this.now();
    if (!this.first) {
      this.first = { at, ...done };
      return {};
    }
    const seconds = (at - this.first.at) / 1000;
    const rows = done.rows - this.first.rows;
    if (seconds * 1000 < this.minMs || rows <= 0) return {};
    return { bytesPerSecond: (done.bytes - this.first.bytes) / seconds, etaSeconds: Math.max(0, Math.round((allRows - done.rows) / (rows / seconds))) };
  }
}
