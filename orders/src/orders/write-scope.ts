import { Outbox, type EventRecorder, type Executor } from '@ticketing/common';

/**
 * Where a use case writes: in a transaction of its own on the outbox (a route, the sweep), or inside a
 * listener's transaction, so that the effect, the events it owes and the inbox record commit together.
 */
export type WriteScope = Outbox | { tx: Executor; events: EventRecorder };

/** Runs `work` in the scope's transaction: a new one on the outbox, or the listener's. */
export function within<T>(scope: WriteScope, work: (tx: Executor, events: EventRecorder) => Promise<T>): Promise<T> {
  return scope instanceof Outbox ? scope.transaction(work) : work(scope.tx, scope.events);
}
