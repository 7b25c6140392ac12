/**
 * Tells requests waiting in this process for a replica to catch up on one entity (orders waiting for a ticket
 * version, payments for an order) that it has just changed, so that they read it again at once instead of at
 * their next poll: the replica's listener calls `changed` after each commit. Only a wake-up, never an answer:
 * the waiter reads the replica itself, and keeps polling too (bounded), since another replica of the service
 * may have applied the event, and its commit wakes nobody here.
 *
 * Per process, held by whoever builds the process (or a module of the service), shared by its listeners and
 * its requests.
 */
export class ReplicaChanges {
  /** Entity id → the wake-ups of the requests waiting on it. */
  private readonly waiting = new Map<string, Set<() => void>>();

  /**
   * A wake-up for the entity's next change. Take it before reading the replica: a change committed during
   * the read then still wakes the waiter. `cancel` it when no longer waiting.
   */
  next(id: string): ReplicaChange {
    let wake!: () => void;
    const changed = new Promise<void>((resolve) => (wake = resolve));
    let waiters = this.waiting.get(id);
    if (!waiters) this.waiting.set(id, (waiters = new Set()));
    waiters.add(wake);
    const cancel = () => {
      waiters.delete(wake);
      if (waiters.size === 0 && this.waiting.get(id) === waiters) this.waiting.delete(id);
    };
    return {
      async within(ms) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([changed, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
        clearTimeout(timer);
        cancel();
      },
      cancel,
    };
  }

  /** The entity's replica changed (committed): wakes every request waiting on it. */
  changed(id: string): void {
    const waiters = this.waiting.get(id);
    if (!waiters) return;
    this.waiting.delete(id);
    for (const wake of waiters) wake();
  }

  /** How many entities have someone waiting (for tests and diagnostics). */
  get size(): number {
    return this.waiting.size;
  }
}

/** One waiter's wake-up for one entity's next change. */
export interface ReplicaChange {
  /** Resolves at the entity's next change or after `ms`, whichever comes first; then the wake-up is spent. */
  within(ms: number): Promise<void>;
  /** Gives the wake-up up. */
  cancel(): void;
}
