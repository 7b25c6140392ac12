import { createHash, randomUUID } from 'node:crypto';
import { getTableColumns, getTableName, is, SQL, sql, type Column, type InferSelectModel } from 'drizzle-orm';
import type { QueryResult } from 'pg';
import type { PgInsertValue, PgTable } from 'drizzle-orm/pg-core';
import type { Logger } from 'pino';
import { eventSchemas, type EventData, type Subject } from '../events';
import {
  isTransientConflict,
  postgresErrorCode,
  preparedStatement,
  runInTransaction,
  sqlLiteral,
  type Executor,
} from '../database';
import { ServiceUnavailableError } from '../errors';
import { currentTraceCarrier, inSpan, isTracing } from '../observability/tracing';
import { ApplyBatches, type BatchRecorder } from './apply-batches';
import { OutboxRelay, type OutboxRelayOptions } from './outbox';
import { outbox } from './tables';

/** Records the events a use case owes, inside its transaction. */
export interface EventRecorder {
  /**
   * Validates `data` against the catalog and adds it to the transaction's outbox rows, written with its commit;
   * resolves to the event id.
   */
  record<S extends Subject>(subject: S, data: EventData<S>): Promise<string>;
}

/** An event a use case owes: a subject of the catalog and its payload. */
export type OwedEvent = { [S in Subject]: { subject: S; data: EventData<S> } }[Subject];

export interface UnitOfWorkOptions extends Omit<OutboxRelayOptions, 'logger'> {
  logger: Logger;
}

/**
 * Where every use case writes (docs/rules.md#rule-1): its writes and the events it owes commit in one
 * transaction, the events as rows of the service's outbox. The outbox's {@link OutboxRelay} (`relay`,
 * started by the service core) publishes them after commit, woken by each one; the inbox (rule 2) is
 * `applyOnce`.
 */
export class UnitOfWork {
  /** Publishes what this unit of work recorded: started and stopped by the service core (or a test). */
  readonly relay: OutboxRelay;

  constructor(
    /** The service's database; use cases read through it outside their write transaction. */
    readonly db: Executor,
    private readonly options: UnitOfWorkOptions,
  ) {
    this.relay = new OutboxRelay(db, options);
    this.batches = new ApplyBatches<EventRecorder>({
      db,
      recorder: () => new BufferedEventRecorder(),
      outboxInsert,
      alone: ({ consumer, eventId, effect }) => this.applyAlone(consumer, eventId, effect),
      committed: () => this.relay.wake(),
    });
  }

  /** Listeners' effects, several to a transaction (see {@link ApplyBatches}). */
  private readonly batches: ApplyBatches<EventRecorder>;

  /**
   * Runs `work` in one transaction with an event recorder; wakes the relay after commit. With tracing on,
   * the transaction is a span, and the events it records keep its context for the relay.
   *
   * The events are written to the outbox in one multi-row insert sent with COMMIT (see {@link runInTransaction}),
   * not one statement each as they are recorded: all or nothing with the work all the same, in the order
   * recorded, a round trip per event fewer.
   *
   * A transaction PostgreSQL aborts as a deadlock victim (40P01) or a serialisation failure (40001) left
   * nothing behind and may simply run again: `work` is run afresh, up to {@link TRANSIENT_CONFLICT_ATTEMPTS}
   * times in all, after a short random pause (so two victims do not collide again in step). Still failing,
   * it is a 503 with Retry-After, never a 500. So `work` must be safe to run again: database work, and only
   * idempotent calls outside (Stripe with an idempotency key).
   */
  async transaction<T>(work: (tx: Executor, events: EventRecorder) => Promise<T>): Promise<T> {
    return this.runTransaction((tx, events) => work(tx, events));
  }

  /**
   * `transaction`, opened by `first` (statements with literals only, see {@link runInTransaction}) sent with
   * BEGIN, the results of its statements handed to `work`: the round trips of the statements a use case
   * always begins with, but one.
   */
  async transactionOpenedBy<T>(
    first: string,
    work: (tx: Executor, events: EventRecorder, opened: readonly QueryResult[]) => Promise<T>,
  ): Promise<T> {
    return this.runTransaction((tx, events, _first, opened) => work(tx, events, opened), first);
  }

  /** `transaction`, with `first` sent with BEGIN and its result handed to `work`. */
  private async runTransaction<T>(
    work: (
      tx: Executor,
      events: EventRecorder,
      first: QueryResult | undefined,
      opened: readonly QueryResult[],
    ) => Promise<T>,
    first?: string,
  ): Promise<T> {
    const attempt = () => {
      const events = new BufferedEventRecorder();
      return runInTransaction(this.db, (tx, firstResult, opened) => work(tx, events, firstResult, opened), {
        first,
        last: () => events.outboxInsert(),
      });
    };
    const result = await retryTransientConflicts(
      () => (isTracing() ? inSpan('transaction', {}, attempt) : attempt()),
      this.options.logger,
    );
    this.relay.wake();
    return result;
  }

  /**
   * For a use case that is ONE insert whose events are known before it runs (a new row with an id of its
   * own making): the row and the outbox rows of its events go to the database as one statement (the outbox
   * rows in a data-modifying WITH), which PostgreSQL applies all or nothing like a transaction, in one round
   * trip instead of four (BEGIN, the row, the outbox rows, COMMIT), so a pool connection is held a quarter as
   * long. The statement is prepared once per connection for each table, set of columns and number of events,
   * so `values` are plain values (no SQL). Resolves to the inserted row; wakes the relay like `transaction`.
   */
  async insertWithEvents<TTable extends PgTable>(
    table: TTable,
    values: PgInsertValue<TTable>,
    events: readonly OwedEvent[],
  ): Promise<InferSelectModel<TTable>> {
    if (isTracing()) return inSpan('transaction', {}, () => this.insertRowWithEvents(table, values, events));
    return this.insertRowWithEvents(table, values, events);
  }

  private async insertRowWithEvents<TTable extends PgTable>(
    table: TTable,
    values: PgInsertValue<TTable>,
    events: readonly OwedEvent[],
  ): Promise<InferSelectModel<TTable>> {
    if (events.length === 0) throw new Error('insertWithEvents needs the events the row owes');
    const traceContext = currentTraceCarrier();
    const placeholders: Record<string, unknown> = {};
    const columns = getTableColumns(table) as Record<string, Column>;
    const keys = Object.keys(values)
      .filter((key) => (values as Record<string, unknown>)[key] !== undefined)
      .sort();
    for (const key of keys) {
      const value = (values as Record<string, unknown>)[key];
      const column = columns[key];
      if (!column || is(value, SQL)) throw new Error(`insertWithEvents takes plain values: ${key} is not one`);
      // Raw placeholders take driver values: what Drizzle's column makes of a value it binds itself.
      placeholders[`v_${key}`] = value === null ? null : column.mapToDriverValue(value);
    }
    events.forEach(({ subject, data }, index) => {
      placeholders[`e${index}_id`] = randomUUID();
      placeholders[`e${index}_subject`] = subject;
      // A wrong payload is a bug in this service: fail the use case before anything is written.
      placeholders[`e${index}_data`] = JSON.stringify(eventSchemas[subject].parse(data));
      placeholders[`e${index}_trace`] = traceContext ? JSON.stringify(traceContext) : null;
    });
    // One statement per table, set of columns and number of events, built and prepared once per connection.
    const shape = `${getTableName(table)}(${keys.join(',')})+${events.length}`;
    let name = statementNames.get(shape);
    if (name === undefined) {
      name = `insert_with_events_${createHash('sha256').update(shape).digest('hex').slice(0, 16)}`;
      statementNames.set(shape, name);
    }
    let statement = rowWithEventsStatements.get(name);
    if (!statement) {
      statement = preparedStatement(name, (db) => {
        const raw = (placeholder: string) => sql`${sql.placeholder(placeholder)}`;
        const outboxRows = events.map((_event, index) => ({
          eventId: raw(`e${index}_id`),
          subject: raw(`e${index}_subject`),
          data: raw(`e${index}_data`),
          traceContext: raw(`e${index}_trace`),
        }));
        const row = Object.fromEntries(keys.map((key) => [key, raw(`v_${key}`)])) as PgInsertValue<TTable>;
        const recorded = db.$with('recorded_events').as(db.insert(outbox).values(outboxRows));
        return db.with(recorded).insert(table).values(row).returning();
      });
      rowWithEventsStatements.set(name, statement);
    }
    const [inserted] = (await statement(this.db, placeholders)) as InferSelectModel<TTable>[];
    if (!inserted) throw new Error('INSERT … RETURNING returned no row');
    this.relay.wake();
    return inserted;
  }

  /**
   * Runs a listener's effect at most once per (consumer, event id): records the event in
   * `processed_events` in the same transaction as the effect. Resolves to false, doing nothing, when the
   * event was already applied (a redelivery). If the effect throws, neither the effect nor the record
   * is kept, so the event is retried. The record is sent with BEGIN, and the events the effect owes with
   * COMMIT: an event whose effect is one statement costs three round trips alone, and one and a share of two
   * when the effects that arrive together share a transaction (see {@link ApplyBatches}). Resolves after
   * the commit, like a transaction of its own.
   */
  async applyOnce(
    consumer: string,
    eventId: string,
    effect: (tx: Executor, events: EventRecorder) => Promise<void>,
  ): Promise<boolean> {
    // With tracing on, each effect keeps a transaction (and a span) of its own.
    if (isTracing()) return this.applyAlone(consumer, eventId, effect);
    return new Promise((resolve, reject) => this.batches.submit({ consumer, eventId, effect, resolve, reject }));
  }

  /** `applyOnce` in a transaction of its own: the inbox record sent with BEGIN, the outbox rows with COMMIT. */
  private applyAlone(
    consumer: string,
    eventId: string,
    effect: (tx: Executor, events: EventRecorder) => Promise<void>,
  ): Promise<boolean> {
    // Sent with BEGIN: this runs for every event every listener applies. The result says whether it added a row.
    const inboxInsert = `insert into processed_events (consumer, event_id) values (${sqlLiteral(consumer)}, ${sqlLiteral(eventId)}) on conflict do nothing`;
    return this.runTransaction(async (tx, events, inserted) => {
      if (inserted?.rowCount === 0) return false;
      await effect(tx, events);
      return true;
    }, inboxInsert);
  }
}

/**
 * Where a use case writes: a transaction of its own on the unit of work (a route, a job), or the transaction
 * a listener already holds, so that the effect, the events it owes and the inbox record commit together.
 */
export type WriteScope = UnitOfWork | { tx: Executor; events: EventRecorder };

/** Runs `work` in the scope's transaction: a new one on the unit of work, or the one already open. */
export function within<T>(scope: WriteScope, work: (tx: Executor, events: EventRecorder) => Promise<T>): Promise<T> {
  return scope instanceof UnitOfWork ? scope.transaction(work) : work(scope.tx, scope.events);
}

/** insertWithEvents' statement names by shape (table, columns, number of events): hashed once each. */
const statementNames = new Map<string, string>();

/** insertWithEvents' statements by name: one per table, set of columns and number of events. */
const rowWithEventsStatements = new Map<
  string,
  (db: Executor, placeholders: Record<string, unknown>) => Promise<unknown>
>();

/** How many times in all a transaction aborted by a deadlock or a serialisation failure is run. */
export const TRANSIENT_CONFLICT_ATTEMPTS = 4;

/** The longest random pause before running such a transaction again, doubled after each failed attempt. */
const TRANSIENT_CONFLICT_PAUSE_MS = 25;

/**
 * Runs `attempt`, and again after a random pause while it fails with a deadlock or a serialisation
 * failure; after the last attempt, a 503 (the caller may send the request again), whose cause is the
 * database's error.
 */
async function retryTransientConflicts<T>(attempt: () => Promise<T>, logger: Logger): Promise<T> {
  for (let attempts = 1; ; attempts += 1) {
    try {
      return await attempt();
    } catch (error) {
      if (!isTransientConflict(error)) throw error;
      if (attempts >= TRANSIENT_CONFLICT_ATTEMPTS) {
        logger.warn({ err: error, attempts }, 'transaction kept conflicting; answered 503');
        throw Object.assign(new ServiceUnavailableError('The service is busy; please try again', 1), {
          cause: error,
        });
      }
      logger.info({ code: postgresErrorCode(error), attempts }, 'transaction aborted by a conflict; running it again');
      const pause = Math.random() * TRANSIENT_CONFLICT_PAUSE_MS * 2 ** (attempts - 1);
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}

/**
 * Records a transaction's events in memory, in order, for one insert sent with its COMMIT. The payload is
 * checked at `record`, so a wrong one fails the use case where it is recorded. The statement carries its
 * values as quoted literals: it travels with COMMIT in the simple-query protocol, which takes no parameters.
 * A savepoint rolled back inside the transaction (Drizzle's nested `tx.transaction`) does not take back the
 * events recorded within it: a use case records an event only for a change it keeps.
 */
class BufferedEventRecorder implements EventRecorder, BatchRecorder {
  private readonly tuples: string[] = [];

  async record<S extends Subject>(subject: S, data: EventData<S>): Promise<string> {
    // A wrong payload is a bug in this service: fail the use case now rather than poison a listener later.
    const parsed = eventSchemas[subject].parse(data);
    const eventId = randomUUID();
    const traceContext = currentTraceCarrier();
    const trace = traceContext ? `${sqlLiteral(JSON.stringify(traceContext))}::jsonb` : 'null';
    this.tuples.push(
      `(${sqlLiteral(eventId)}, ${sqlLiteral(subject)}, ${sqlLiteral(JSON.stringify(parsed))}::jsonb, ${trace})`,
    );
    return eventId;
  }

  /** The insert of every event recorded, in the order recorded (the sequence follows the VALUES list); undefined for none. */
  outboxInsert(): string | undefined {
    return this.tuples.length === 0 ? undefined : outboxInsert(this.tuples);
  }

  /** The VALUES tuple of each event recorded, in order. */
  rows(): readonly string[] {
    return this.tuples;
  }
}

/** The insert of these outbox VALUES tuples, in order (the sequence follows the VALUES list). */
function outboxInsert(tuples: readonly string[]): string {
  return `insert into outbox (event_id, subject, data, trace_context) values ${tuples.join(', ')}`;
}
