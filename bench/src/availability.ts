/**
 * When each part of the stack was out of action: a service's process (by its name), a service's database
 * (`database:orders`), `nats`, `redis`. Faults and the supervisor write it; the lock sampler reads it, so that
 * what it saw while orders could not act (or just after) is not held against orders.
 */
export class AvailabilityLog {
  private readonly downSince = new Map<string, number>();
  private readonly outages: { part: string; from: number; to: number }[] = [];

  /** `part` stopped working at `at` (nothing changes if it was down already). */
  markDown(part: string, at: number = Date.now()): void {
    if (!this.downSince.has(part)) this.downSince.set(part, at);
  }

  /** `part` works again from `at` (nothing changes if it was not down). */
  markUp(part: string, at: number = Date.now()): void {
    const from = this.downSince.get(part);
    if (from === undefined) return;
    this.downSince.delete(part);
    this.outages.push({ part, from, to: at });
  }

  /** True when `part` was down at any moment between `from` and `to`. */
  wasDown(part: string, from: number, to: number): boolean {
    const since = this.downSince.get(part);
    if (since !== undefined && since <= to) return true;
    return this.outages.some((outage) => outage.part === part && outage.from <= to && outage.to >= from);
  }
}
