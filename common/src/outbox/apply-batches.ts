import type { QueryResult } from 'pg';
import { runInTransaction, sqlLiteral, type Executor } from '../database';
import { listenerTransactionEffects } from '../observability/metrics';

/** An event's effect waiting for a transaction: `applyOnce`'s arguments and its promise. */
export interface PendingEffect<R> {
  consumer: string;
  eventId: string;
  /** The effect on a transaction, with the recorder of the events it owes. */
  effect: (tx: Executor, events: R) => Promise<void>;
  resolve(applied: boolean): void;
  reject(error: unknown): void;
}

/** The events one effect owes, as outbox rows written with the batch's COMMIT. */
export interface BatchRecorder {
  /** The outbox rows' VALUES tuples, in the order recorded. */
  rows(): readonly string[];
}

export interface ApplyBatchesOptions<R> {
  db: Executor;
  /** A fresh recorder for one effect. */
  recorder(): R & BatchRecorder;
  /** The outbox insert of these VALUES tuples. */
  outboxInsert(rows: readonly string[]): string;
  /** One event the usual way, in a transaction of its own (with its retries): a batch's fallback. */
  alone(pending: PendingEffect<R>): Promise<boolean>;
  /** After a batch committed: the relay has rows to publish. */
  committed(): void;
  /** Effects in one transaction, at most. */
  maxBatch?: number;
  /** Batches on their own connections at once, at most; the rest wait and grow. */
  maxInFlight?: number;
}

/** Effects in one transaction, at most: a pull of the bus brings 16 to 64 deliveries. */
export const MAX_EFFECTS_PER_BATCH = 32;
/** Two batches at once: one being written while the next is collected and sent. */
const MAX_BATCHES_IN_FLIGHT = 2;

/**
 * Listeners' effects, several in one transaction (docs/rules.md#rule-2): the effects that arrive within one
 * turn of the event loop (a pull of the bus brings many, of different tickets, handled side by side) share
 * one BEGIN with all their inbox records (one multi-row insert), run one after another on its connection,
 * and one COMMIT with all the outbox rows they recorded. An event whose effect is one statement then costs
 * one round trip and a share of two, instead of three, and PostgreSQL flushes its log once for the batch.
 * While two batches are being written the next one grows, so the busier the listeners, the larger the
 * batches. Two events of one listener about one ticket never share a batch: a listener hands an event to
 * its effect only after the previous event of its key settled. Events of two listeners about one ticket may,
 * and then apply one after the other, in the order they arrived, as their own transactions would have in
 * some order.
 *
 * All or nothing, as one event was: if any effect fails, or the commit does, nothing of the batch is kept,
 * and every event of it runs again alone, the usual way (one transaction each, its own retries), so an event
 * that fails fails by itself, with its own error, and the others commit. Each `applyOnce` resolves only
 * after its commit, so what a listener does after it (acking, waking readers) still follows the commit.
 */
export class ApplyBatches<R> {
  private pending: PendingEffect<R>[] = [];
  private scheduled = false;
  private inFlight = 0;
  private readonly maxBatch: number;
  private readonly maxInFlight: number;

  constructor(private readonly options: ApplyBatchesOptions<R>) {
    this.maxBatch = options.maxBatch ?? MAX_EFFECTS_PER_BATCH;
    this.maxInFlight = options.maxInFlight ?? MAX_BATCHES_IN_FLIGHT;
  }

  /** Adds an effect to the next batch; it resolves to false when its event had been applied already. */
  submit(pending: PendingEffect<R>): void {
    this.pending.push(pending);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight || this.pending.length === 0) return;
    this.scheduled = true;
    // After the turn's other deliveries have reached their effects: they join this batch.
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.inFlight >= this.maxInFlight || this.pending.length === 0) return;
    const batch: PendingEffect<R>[] = [];
    const later: PendingEffect<R>[] = [];
    const taken = new Set<string>();
    for (const pending of this.pending) {
      const key = `${pending.consumer}\u0000${pending.eventId}`;
      // The same event twice (a redelivery beside its first delivery) goes in the next batch, which finds
      // it recorded by this one.
      if (batch.length >= this.maxBatch || taken.has(key)) later.push(pending);
      else {
        taken.add(key);
        batch.push(pending);
      }
    }
    this.pending = later;
    this.inFlight += 1;
    listenerTransactionEffects.observe(batch.length);
    const run = batch.length === 1 ? this.runAlone(batch[0]!) : this.runBatch(batch);
    void run.finally(() => {
      this.inFlight -= 1;
      this.schedule();
    });
    this.schedule();
  }

  private runAlone(pending: PendingEffect<R>): Promise<void> {
    return this.options.alone(pending).then(pending.resolve, pending.reject);
  }

  private async runBatch(batch: readonly PendingEffect<R>[]): Promise<void> {
    const recorders = batch.map(() => this.options.recorder());
    const tuples = batch.map(({ consumer, eventId }) => `(${sqlLiteral(consumer)}, ${sqlLiteral(eventId)})`);
    const inboxInsert =
      `insert into processed_events (consumer, event_id) values ${tuples.join(', ')} ` +
      'on conflict do nothing returning consumer, event_id';
    let applied: boolean[];
    try {
      applied = await runInTransaction(
        this.options.db,
        async (tx, opened: QueryResult | undefined) => {
          const added = new Set(
            (opened?.rows ?? []).map(
              (row: { consumer: string; event_id: string }) => `${row.consumer}\u0000${row.event_id}`,
            ),
          );
          const fresh = batch.map(({ consumer, eventId }) => added.has(`${consumer}\u0000${eventId}`));
          for (const [index, pending] of batch.entries()) {
            if (fresh[index]) await pending.effect(tx, recorders[index]!);
          }
          return fresh;
        },
        {
          first: inboxInsert,
          last: () => {
            const rows = recorders.flatMap((recorder) => recorder.rows());
            return rows.length === 0 ? undefined : this.options.outboxInsert(rows);
          },
        },
      );
    } catch {
      // Nothing of the batch was kept: each event the usual way, where a failure is its own.
      await Promise.all(batch.map((pending) => this.runAlone(pending)));
      return;
    }
    this.options.committed();
    batch.forEach((pending, index) => pending.resolve(applied[index]!));
  }
}
