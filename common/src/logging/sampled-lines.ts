/**
 * How often one stream of like lines (one consumer's events) is written at `info`: every event while they are
 * few, one a second under load. 10,000 events in a burst wrote 20,000 lines, a good part of each event's CPU
 * and of the log store's bill, and nobody reads them one by one; the line written says how many went unwritten
 * since the one before, and the metrics count every event.
 */
export const SAMPLED_LINE_INTERVAL_MS = 1_000;

/** Decides, per event of one stream, whether its `info` lines are written (see {@link SAMPLED_LINE_INTERVAL_MS}). */
export class SampledLines {
  private lastWrittenAt = Number.NEGATIVE_INFINITY;
  private unwritten = 0;

  constructor(
    private readonly intervalMs = SAMPLED_LINE_INTERVAL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Whether this event's lines are written; when they are, `skipped` is how many events since the last
   * written one had none.
   */
  take(): { write: true; skipped: number } | { write: false } {
    const now = this.now();
    if (now - this.lastWrittenAt < this.intervalMs) {
      this.unwritten += 1;
      return { write: false };
    }
    this.lastWrittenAt = now;
    const skipped = this.unwritten;
    this.unwritten = 0;
    return { write: true, skipped };
  }
}
