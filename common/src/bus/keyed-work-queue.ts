/**
 * Runs work side by side, at most `limit` pieces at once, except that work with the same key runs one piece
 * at a time, in the order it was added: a listener handles events about different tickets concurrently, and
 * the events about one ticket in the order they were stored.
 *
 * Work waiting behind an earlier piece with its key counts against the limit, so what is queued stays
 * bounded whatever the keys.
 */
export class KeyedWorkQueue {
  /** Per key, the last piece of work added: the next one with that key starts after it settles. */
  private readonly tails = new Map<string, Promise<void>>();
  private running = 0;
  private slotFreed: (() => void) | undefined;

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`limit must be a whole number from 1, got ${limit}`);
  }

  /**
   * Resolves once `work` is admitted (fewer than `limit` pieces were queued or running); the work itself runs
   * after the earlier work of its key. One caller adds at a time (the listener's loop): admission is in order.
   * `work` must not throw; a rejection is swallowed so that it cannot stop the work queued behind it.
   */
  async add(key: string, work: () => Promise<void>): Promise<void> {
    while (this.running >= this.limit) {
      await new Promise<void>((resolve) => (this.slotFreed = resolve));
    }
    this.running += 1;
    const previous = this.tails.get(key);
    const current = (previous ? previous.then(work) : work())
      .catch(() => undefined)
      .finally(() => {
        this.running -= 1;
        if (this.tails.get(key) === current) this.tails.delete(key);
        const wake = this.slotFreed;
        this.slotFreed = undefined;
        wake?.();
      });
    this.tails.set(key, current);
  }

  /** Resolves once every piece added so far has settled. */
  async idle(): Promise<void> {
    while (this.tails.size > 0) await Promise.all(this.tails.values());
  }
}
