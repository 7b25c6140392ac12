/** An event a listener of this process is holding because its handler keeps failing. */
export interface HeldEvent {
  durable: string;
  streamSequence: number;
  /** How long ago the event was stored, as of its last failure. */
  ageSeconds: number;
  /** When this process first saw it fail (ISO 8601). */
  firstFailedAt: string;
  lastError: string;
}

interface Entry {
  storedAt: number;
  firstFailedAt: number;
  lastFailedAt: number;
  lastError: string;
}

/** Forget an entry not seen failing for this long: another replica took the message and handled it. */
const FORGET_AFTER_MS = 10 * 60_000;

/**
 * Which events each consumer of this process keeps failing on, so that a stuck consumer can be seen
 * (`/readyz` details) rather than only inferred from log lines. Entries leave when the event is handled
 * or given up, or when this process stops seeing it.
 */
export class RetryTracker {
  private readonly entries = new Map<string, Entry>();

  /** Records a failure of the event at `sequence`; resolves to what is known of it so far. */
  hold(durable: string, sequence: number, ageMs: number, error: string): HeldEvent {
    const now = Date.now();
    const key = `${durable}\u0000${sequence}`;
    const entry = this.entries.get(key) ?? {
      storedAt: now - ageMs,
      firstFailedAt: now,
      lastFailedAt: now,
      lastError: error,
    };
    entry.lastFailedAt = now;
    entry.lastError = error;
    this.entries.set(key, entry);
    return toHeldEvent(key, entry, now);
  }

  release(durable: string, sequence: number): void {
    this.entries.delete(`${durable}\u0000${sequence}`);
  }

  /** Every event held, the oldest first. */
  list(): HeldEvent[] {
    const now = Date.now();
    for (const [key, entry] of this.entries) {
      if (now - entry.lastFailedAt > FORGET_AFTER_MS) this.entries.delete(key);
    }
    return [...this.entries]
      .map(([key, entry]) => toHeldEvent(key, entry, now))
      .sort((a, b) => b.ageSeconds - a.ageSeconds);
  }
}

function toHeldEvent(key: string, entry: Entry, now: number): HeldEvent {
  const [durable = '', sequence = '0'] = key.split('\u0000');
  return {
    durable,
    streamSequence: Number(sequence),
    ageSeconds: Math.round((now - entry.storedAt) / 1000),
    firstFailedAt: new Date(entry.firstFailedAt).toISOString(),
    lastError: entry.lastError,
  };
}
