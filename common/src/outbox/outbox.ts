import { randomUUID } from 'node:crypto';
import { and, asc, eq, isNull, lt, isNotNull, sql, type InferSelectModel } from 'drizzle-orm';
import type { PgInsertValue, PgTable } from 'drizzle-orm/pg-core';
import type { Logger } from 'pino';
import { eventSchemas, type EventData, type EventEnvelope, type Subject } from '../events';
import { isTransientConflict, postgresErrorCode, type Executor } from '../database';
import { ServiceUnavailableError } from '../errors';
import { currentTraceCarrier, inSpan, isTracing, type TraceCarrier } from '../observability/tracing';
import { observeOutboxAge, type StopObserving } from '../observability/metrics';
import { outbox } from './tables';

/** Records the events a use case owes, inside its transaction. */
export interface EventRecorder {
  /** Validates `data` against the catalog and writes it to the outbox; resolves to the event id. */
  record<S extends Subject>(subject: S, data: EventData<S>): Promise<string>;
}

/** An event a use case owes: a subject of the catalog and its payload. */
export type OwedEvent = { [S in Subject]: { subject: S; data: EventData<S> } }[Subject];

/** An outbox row as the relay's claim returns it (plain SQL: column names as stored, int8 as text). */
interface ClaimedRow {
  sequence: string | number;
  event_id: string;
  subject: string;
  data: unknown;
  occurred_at: string | Date;
  trace_context: TraceCarrier | string | null;
}

/** What the relay needs from the bus: publish an envelope with its id as msgID, in the trace it was recorded in. */
export interface EnvelopePublisher {
  publishEnvelope(envelope: EventEnvelope, options?: { traceContext?: TraceCarrier | null }): Promise<unknown>;
}

export interface OutboxOptions {
  logger: Logger;
  /** How often the relay looks for rows even when nothing woke it (another replica's commits). */
  pollIntervalMs?: number;
  batchSize?: number;
  /** Sent rows older than this are deleted; the bus keeps the history. */
  retainSentMs?: number;
}

/**
 * The transactional outbox (docs/rules.md#rule-1) and inbox (rule 2) of one service's database.
 *
 * `transaction` runs a use case's writes and records the events it owes in the same transaction; the
 * relay publishes unsent rows in insertion order with `msgID` = event id and marks them sent. A crash
 * after commit loses nothing (the rows wait), and a crash after publish but before the mark commits
 * publishes again, which JetStream drops as a duplicate.
 */
export class Outbox {
  private relayLoop: Promise<void> | undefined;
  private running = false;
  private wakeRelay: (() => void) | undefined;
  /** A commit happened since the relay last looked: it must look again before sleeping. */
  private wakeRequested = false;
  private lastPurge = 0;
  private stopObservingAge: StopObserving | undefined;

  constructor(
    /** The service's database; use cases read through it outside their write transaction. */
    readonly db: Executor,
    private readonly options: OutboxOptions,
  ) {}

  /**
   * Runs `work` in one transaction with an event recorder; wakes the relay after commit. With tracing on,
   * the transaction is a span, and the events it records keep its context for the relay.
   *
   * A transaction PostgreSQL aborts as a deadlock victim (40P01) or a serialisation failure (40001) left
   * nothing behind and may simply run again: `work` is run afresh, up to {@link TRANSIENT_CONFLICT_ATTEMPTS}
   * times in all, after a short random pause (so two victims do not collide again in step). Still failing,
   * it is a 503 with Retry-After, never a 500. So `work` must be safe to run again: database work, and only
   * idempotent calls outside (Stripe with an idempotency key).
   */
  async transaction<T>(work: (tx: Executor, events: EventRecorder) => Promise<T>): Promise<T> {
    const result = await retryTransientConflicts(
      () =>
        isTracing()
          ? inSpan('transaction', {}, () => this.db.transaction((tx) => work(tx, recorderFor(tx))))
          : this.db.transaction((tx) => work(tx, recorderFor(tx))),
      this.options.logger,
    );
    // Remembered, not only signalled: a commit landing while the relay is mid-pass (not waiting) must not
    // be left for the next poll.
    this.wakeRequested = true;
    this.wakeRelay?.();
    return result;
  }

  /**
   * For a use case that is ONE insert whose events are known before it runs (a new row with an id of its
   * own making): the row and the outbox rows of its events go to the database as one statement (the outbox
   * rows in a data-modifying WITH), which PostgreSQL applies all or nothing like a transaction, in one round
   * trip instead of four (BEGIN, the row, the outbox rows, COMMIT), so a pool connection is held a quarter as
   * long. Resolves to the inserted row; wakes the relay like `transaction`.
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
    const traceContext = currentTraceCarrier();
    const rows = events.map(({ subject, data }) => ({
      eventId: randomUUID(),
      subject,
      // A wrong payload is a bug in this service: fail the use case before anything is written.
      data: eventSchemas[subject].parse(data),
      ...(traceContext && { traceContext }),
    }));
    if (rows.length === 0) throw new Error('insertWithEvents needs the events the row owes');
    const recorded = this.db.$with('recorded_events').as(this.db.insert(outbox).values(rows));
    const [inserted] = (await this.db
      .with(recorded)
      .insert(table)
      .values(values)
      .returning()) as InferSelectModel<TTable>[];
    if (!inserted) throw new Error('INSERT … RETURNING returned no row');
    this.wakeRequested = true;
    this.wakeRelay?.();
    return inserted;
  }

  /**
   * Runs a listener's effect at most once per (consumer, event id): records the event in
   * `processed_events` in the same transaction as the effect. Resolves to false, doing nothing, when the
   * event was already applied (a redelivery). If the effect throws, neither the effect nor the record
   * is kept, so the event is retried.
   */
  async applyOnce(
    consumer: string,
    eventId: string,
    effect: (tx: Executor, events: EventRecorder) => Promise<void>,
  ): Promise<boolean> {
    return this.transaction(async (tx, events) => {
      // Plain SQL: this runs for every event every listener applies, and Drizzle's builder costs more CPU
      // than the statement under a burst. node-postgres' result says how many rows the insert added.
      const inserted = (await tx.execute(
        sql`insert into processed_events (consumer, event_id) values (${consumer}, ${eventId}) on conflict do nothing`,
      )) as { rowCount: number | null };
      if (inserted.rowCount === 0) return false;
      await effect(tx, events);
      return true;
    });
  }

  /**
   * Publishes one batch of unsent rows and marks them sent; resolves to how many it published.
   *
   * Rows are claimed with `FOR UPDATE SKIP LOCKED` instead of reading "sequence > last seen": sequences
   * are taken at insert but transactions commit out of order, so a high-water mark could skip a row
   * forever. Two relays (two replicas) never publish the same row at the same time. One statement claims
   * the rows and marks them sent; the mark commits only once every publish is acknowledged, and a failed
   * publish rolls it back, so the rows stay unsent.
   */
  async relayOnce(publisher: EnvelopePublisher): Promise<number> {
    const batchSize = this.options.batchSize ?? 100;
    return this.db.transaction(async (tx) => {
      const claimed = (await tx.execute(sql`
        update outbox set sent_at = now()
        where sequence in (
          select sequence from outbox where sent_at is null order by sequence limit ${batchSize}
          for update skip locked
        )
        returning sequence, event_id, subject, data, occurred_at, trace_context`)) as { rows: ClaimedRow[] };
      // RETURNING has no order of its own: publish in insertion order.
      const rows = claimed.rows.sort((a, b) => Number(a.sequence) - Number(b.sequence));
      // Sent one after another on one connection without waiting for each ack, so JetStream stores them in
      // sequence order; the transaction commits the mark only once every ack is in.
      await Promise.all(
        rows.map((row) =>
          publisher.publishEnvelope(
            {
              id: row.event_id,
              subject: row.subject as Subject,
              occurredAt: new Date(row.occurred_at).toISOString(),
              data: (typeof row.data === 'string' ? JSON.parse(row.data) : row.data) as EventData<Subject>,
            },
            { traceContext: parseTraceContext(row.trace_context) },
          ),
        ),
      );
      return rows.length;
    });
  }

  /**
   * Starts the background relay: publishes after every local commit, and polls for the rest. While it runs,
   * `ticketing_outbox_oldest_unsent_age_seconds` reports how far behind it is.
   */
  startRelay(publisher: EnvelopePublisher): void {
    if (this.running) return;
    this.running = true;
    this.relayLoop = this.runRelay(publisher);
    this.stopObservingAge = observeOutboxAge(() => this.oldestUnsentAgeSeconds());
  }

  /** Stops the relay after the batch in hand. */
  async stopRelay(): Promise<void> {
    this.stopObservingAge?.();
    this.stopObservingAge = undefined;
    this.running = false;
    this.wakeRelay?.();
    await this.relayLoop;
  }

  private async runRelay(publisher: EnvelopePublisher): Promise<void> {
    const pollIntervalMs = this.options.pollIntervalMs ?? 500;
    let failures = 0;
    while (this.running) {
      let published = 0;
      this.wakeRequested = false;
      try {
        published = await this.relayOnce(publisher);
        if (published > 0) this.options.logger.debug({ published }, 'outbox relayed');
        await this.purgeSentRows();
        failures = 0;
      } catch (error) {
        failures += 1;
        this.options.logger.warn({ err: error, failures }, 'outbox relay failed; rows stay unsent and will be retried');
      }
      // A full batch means more may be waiting: go again at once. Otherwise sleep until woken or polled.
      if ((published === (this.options.batchSize ?? 100) || this.wakeRequested) && failures === 0) continue;
      const wait = failures > 0 ? Math.min(10_000, pollIntervalMs * 2 ** failures) : pollIntervalMs;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        this.wakeRelay = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeRelay = undefined;
    }
  }

  /** Seconds since the oldest unsent row was recorded; 0 when every row is sent. One read of the unsent index. */
  async oldestUnsentAgeSeconds(): Promise<number> {
    const oldest = (await this.db.execute(sql`
      select extract(epoch from now() - occurred_at)::float8 as age
      from outbox where sent_at is null order by sequence limit 1`)) as { rows: { age: number | string }[] };
    const age = oldest.rows[0]?.age;
    return age === undefined ? 0 : Math.max(0, Number(age));
  }

  private async purgeSentRows(): Promise<void> {
    const retainSentMs = this.options.retainSentMs ?? 24 * 60 * 60_000;
    if (Date.now() - this.lastPurge < 60_000) return;
    this.lastPurge = Date.now();
    const cutoff = new Date(Date.now() - retainSentMs);
    await this.db.transaction((tx) =>
      tx.delete(outbox).where(and(isNotNull(outbox.sentAt), lt(outbox.sentAt, cutoff))),
    );
  }
}

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

function recorderFor(tx: Executor): EventRecorder {
  return {
    async record(subject, data) {
      // A wrong payload is a bug in this service: fail the use case now rather than poison a listener later.
      const parsed = eventSchemas[subject].parse(data);
      const eventId = randomUUID();
      const traceContext = currentTraceCarrier();
      // Plain SQL for the same reason as the inbox's insert: every use case and listener records events.
      await tx.execute(
        traceContext
          ? sql`insert into outbox (event_id, subject, data, trace_context) values (${eventId}, ${subject}, ${JSON.stringify(parsed)}::jsonb, ${JSON.stringify(traceContext)}::jsonb)`
          : sql`insert into outbox (event_id, subject, data) values (${eventId}, ${subject}, ${JSON.stringify(parsed)}::jsonb)`,
      );
      return eventId;
    },
  };
}

/** A stored trace context as node-postgres returns the jsonb (parsed, or text from a plain query). */
function parseTraceContext(stored: TraceCarrier | string | null): TraceCarrier | null {
  if (stored === null) return null;
  return typeof stored === 'string' ? (JSON.parse(stored) as TraceCarrier) : stored;
}

/** Unsent events of this database, oldest first (for diagnostics and tests). */
export async function listUnsentEvents(db: Executor) {
  return db.select().from(outbox).where(isNull(outbox.sentAt)).orderBy(asc(outbox.sequence));
}

/** The events recorded for one subject, oldest first (for diagnostics and tests). */
export async function listRecordedEvents(db: Executor, subject: Subject) {
  return db.select().from(outbox).where(eq(outbox.subject, subject)).orderBy(asc(outbox.sequence));
}
