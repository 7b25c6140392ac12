import { and, asc, eq, isNull, lt, isNotNull, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { EventData, EventEnvelope, Subject } from '../events';
import { runInTransaction, type Executor } from '../database';
import type { TraceCarrier } from '../observability/tracing';
import { observeOutboxAge, type StopObserving } from '../observability/metrics';
import { outbox } from './tables';

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

export interface OutboxRelayOptions {
  logger: Logger;
  /** How often the relay looks for rows even when nothing woke it (another replica's commits). */
  pollIntervalMs?: number;
  batchSize?: number;
  /** Sent rows older than this are deleted; the bus keeps the history. */
  retainSentMs?: number;
}

/**
 * The transactional outbox's relay (docs/rules.md#rule-1): publishes the rows a {@link UnitOfWork} recorded,
 * in insertion order, with `msgID` = event id, and marks them sent. A crash after commit loses nothing (the
 * rows wait), and a crash after publish but before the mark commits publishes again, which JetStream drops
 * as a duplicate.
 */
export class OutboxRelay {
  private relayLoop: Promise<void> | undefined;
  private running = false;
  private wakeRelay: (() => void) | undefined;
  /** A commit happened since the relay last looked: it must look again before sleeping. */
  private wakeRequested = false;
  private lastPurge = 0;
  private stopObservingAge: StopObserving | undefined;

  constructor(
    private readonly db: Executor,
    private readonly options: OutboxRelayOptions,
  ) {}

  /**
   * A commit recorded events: look now. Remembered, not only signalled: a commit landing while the relay is
   * mid-pass (not waiting) must not be left for the next poll.
   */
  wake(): void {
    this.wakeRequested = true;
    this.wakeRelay?.();
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
    const batchSize = Math.trunc(this.options.batchSize ?? 100);
    // Sent with BEGIN (one round trip fewer per pass): a text of literals, so the batch size goes in as one.
    const claim = `
        update outbox set sent_at = now()
        where sequence in (
          select sequence from outbox where sent_at is null order by sequence limit ${batchSize}
          for update skip locked
        )
        returning sequence, event_id, subject, data, occurred_at, trace_context`;
    return runInTransaction(
      this.db,
      async (_tx, claimed) => {
        // RETURNING has no order of its own: publish in insertion order.
        const rows = ((claimed?.rows ?? []) as ClaimedRow[]).sort((a, b) => Number(a.sequence) - Number(b.sequence));
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
      },
      { first: claim },
    );
  }

  /**
   * Starts the background relay: publishes after every local commit, and polls for the rest. While it runs,
   * `ticketing_outbox_oldest_unsent_age_seconds` reports how far behind it is.
   */
  start(publisher: EnvelopePublisher): void {
    if (this.running) return;
    this.running = true;
    this.relayLoop = this.runRelay(publisher);
    this.stopObservingAge = observeOutboxAge(() => this.oldestUnsentAgeSeconds());
  }

  /** Stops the relay after the batch in hand. */
  async stop(): Promise<void> {
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
      // Stopped during the pass: stop now, not after a poll interval's sleep (a shutdown waits on this loop).
      if (!this.running) break;
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
