/**
 * Tells buyers waiting in this process for a ticket's replica to catch up that it has just changed, so that
 * they read it again at once instead of at their next poll: the ticket listener calls `changed` after each
 * commit. Only a wake-up, never an answer: the waiter reads the replica itself, and keeps polling too, since
 * another replica of orders may have applied the event.
 */
export class TicketReplicaChanges {
  /** Ticket id → the wake-ups of the buyers waiting on it. */
  private readonly waiting = new Map<string, Set<() => void>>();

  /**
   * A wake-up for the ticket's next change. Take it before reading the replica: a change committed during
   * the read then still wakes the waiter. `cancel` it when no longer waiting.
   */
  next(ticketId: string): TicketChange {
    let wake!: () => void;
    const changed = new Promise<void>((resolve) => (wake = resolve));
    let waiters = this.waiting.get(ticketId);
    if (!waiters) this.waiting.set(ticketId, (waiters = new Set()));
    waiters.add(wake);
    const cancel = () => {
      waiters.delete(wake);
      if (waiters.size === 0 && this.waiting.get(ticketId) === waiters) this.waiting.delete(ticketId);
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

  /** The ticket's replica changed (committed): wakes every buyer waiting on it. */
  changed(ticketId: string): void {
    const waiters = this.waiting.get(ticketId);
    if (!waiters) return;
    this.waiting.delete(ticketId);
    for (const wake of waiters) wake();
  }

  /** How many tickets have someone waiting (for tests and diagnostics). */
  get size(): number {
    return this.waiting.size;
  }
}

/** One waiter's wake-up for one ticket's next change. */
export interface TicketChange {
  /** Resolves at the ticket's next change or after `ms`, whichever comes first; then the wake-up is spent. */
  within(ms: number): Promise<void>;
  /** Gives the wake-up up. */
  cancel(): void;
}

/** Wakes buyers of this process waiting for the ticket replica; the ticket listener says when it changed. */
export const ticketReplicaChanges = new TicketReplicaChanges();
