import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import {
  UnitOfWork,
  ServiceUnavailableError,
  TRANSIENT_CONFLICT_ATTEMPTS,
  inboxListener,
  listUnsentEvents,
  type EnvelopePublisher,
  processedEvents,
  type EventEnvelope,
  type EventRecorder,
  type Executor,
  execute,
  isUniqueViolation,
  metricsRegistry,
  literalOf,
  postgresErrorCode,
  preparedText,
  runInTransaction,
  rowOf,
  runStatements,
  selectListOf,
  sqlLiteral,
} from '../src';
import {
  createTestBus,
  createTestDatabase,
  createTestLogger,
  countRoundTrips,
  metricValue,
  parseMetrics,
  recordEvents,
  waitFor,
  type TestBus,
  type TestDatabase,
} from '../src/testing';
import * as schema from './fixtures/schema';

const migrations = path.join(__dirname, 'fixtures', 'migrations');
const logger = createTestLogger();

let database: TestDatabase<typeof schema>;
let bus: TestBus;
let unitOfWork: UnitOfWork;

beforeAll(async () => {
  database = await createTestDatabase(migrations, schema);
});
afterAll(async () => {
  await database.drop();
});
beforeEach(async () => {
  bus = await createTestBus();
  unitOfWork = new UnitOfWork(database.db, { logger, pollIntervalMs: 50 });
  await database.db.execute(sql`TRUNCATE outbox, processed_events, notes`);
});
afterEach(async () => {
  await unitOfWork.relay.stop();
  await bus.destroy();
});

const userEvent = () => ({ id: randomUUID(), email: `${randomUUID()}@example.com`, version: 0 });

/** Writes a note and the event it owes in one transaction, as a use case does. */
function createNote(body: string, fail = false) {
  return unitOfWork.transaction(async (tx, events) => {
    await tx.insert(schema.notes).values({ id: randomUUID(), body });
    const eventId = await events.record('user.created', userEvent());
    if (fail) throw new Error('use case failed after recording');
    return eventId;
  });
}

/** How many messages of a subject the stream holds: what was really published, duplicates dropped. */
async function storedCount(subject: 'user.created'): Promise<number> {
  const info = await bus.manager.streams.info(bus.options.stream, { subjects_filter: bus.wireSubject(subject) });
  return info.state.subjects?.[bus.wireSubject(subject)] ?? 0;
}

/**
 * A publisher that holds its first publish until `release()`: `inPass` resolves once the relay is inside that
 * pass. Every publish then goes to the bus, its id kept in `published`, in order.
 */
function firstPublishHeld() {
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  let passStarted: () => void = () => undefined;
  const inPass = new Promise<void>((resolve) => (passStarted = resolve));
  const published: string[] = [];
  const publisher: EnvelopePublisher = {
    async publishEnvelope(envelope) {
      if (published.length === 0) {
        passStarted();
        await held;
      }
      published.push(envelope.id);
      return bus.publishEnvelope(envelope);
    },
  };
  return { publisher, inPass, release, published };
}

/** ticketing_listener_transaction_effects as this process's registry holds it now. */
async function transactionEffects() {
  const samples = parseMetrics(await metricsRegistry.metrics());
  const bucket = (le: string) => metricValue(samples, 'ticketing_listener_transaction_effects_bucket', { le }) ?? 0;
  return {
    count: metricValue(samples, 'ticketing_listener_transaction_effects_count') ?? 0,
    sum: metricValue(samples, 'ticketing_listener_transaction_effects_sum') ?? 0,
    upToTwo: bucket('2'),
    upToFour: bucket('4'),
  };
}

describe('transactional outbox', () => {
  it('when a use case commits, then its rows and its events are stored together', async () => {
    await createNote('hello');
    expect(await database.db.select().from(schema.notes)).toHaveLength(1);
    expect(await listUnsentEvents(database.db)).toHaveLength(1);
  });

  it('when a use case fails after recording an event, then neither its rows nor its event are kept', async () => {
    await expect(createNote('doomed', true)).rejects.toThrow('use case failed');
    expect(await database.db.select().from(schema.notes)).toHaveLength(0);
    expect(await listUnsentEvents(database.db)).toHaveLength(0);
  });

  it('when a recorded payload does not match the catalog, then the use case fails and nothing is kept', async () => {
    await expect(
      unitOfWork.transaction(async (tx, events) => {
        await tx.insert(schema.notes).values({ id: randomUUID(), body: 'x' });
        // @ts-expect-error the compiler rejects this payload too
        await events.record('user.created', { id: 'not-a-uuid' });
      }),
    ).rejects.toThrow();
    expect(await database.db.select().from(schema.notes)).toHaveLength(0);
  });

  it('when a use case records several events, then they reach the outbox in the order recorded, with their ids, and the relay publishes them so', async () => {
    const users = [userEvent(), userEvent(), userEvent()];
    const ids = await unitOfWork.transaction(async (tx, events) => {
      await tx.insert(schema.notes).values({ id: randomUUID(), body: 'three events' });
      const recorded: string[] = [];
      for (const user of users) recorded.push(await events.record('user.created', user));
      return recorded;
    });
    const unsent = await listUnsentEvents(database.db);
    expect(unsent.map((row) => [row.eventId, row.data])).toEqual(ids.map((id, index) => [id, users[index]]));
    const recorder = await recordEvents(bus, 'user.created');
    unitOfWork.relay.start(bus);
    await waitFor(() => expect(recorder.events.map((event) => event.id)).toEqual(ids));
    await recorder.stop();
  });

  it('when a payload holds quotes, backslashes, line breaks and emoji, then the outbox keeps it exactly', async () => {
    const title = `It's a "show" \\ back\\slash \\' E'\\x00' ; commit; -- \n\t 🎫 ünïcødé`;
    const payload = {
      id: randomUUID(),
      title,
      price: 100,
      userId: randomUUID(),
      orderId: null,
      venue: `O'Brien's \\ hall`,
      version: 0,
    };
    await unitOfWork.transaction((_tx, events) => events.record('ticket.created', payload));
    const [row] = await listUnsentEvents(database.db);
    expect(row?.data).toEqual(payload);
  });

  it('when a use case commits its events, then BEGIN, its statement and the outbox rows with COMMIT take three round trips', async () => {
    const { statements } = await countRoundTrips(() =>
      unitOfWork.transaction(async (tx, events) => {
        await tx.insert(schema.notes).values({ id: randomUUID(), body: 'counted' });
        await events.record('user.created', userEvent());
        await events.record('user.created', userEvent());
      }),
    );
    expect(statements).toHaveLength(3);
    expect(statements[2]).toMatch(/^insert into outbox .*; commit$/);
    expect(await listUnsentEvents(database.db)).toHaveLength(2);
  });

  it('when its connection dies mid-transaction, then the use case fails, nothing is kept, and the pool serves the next one', async () => {
    await expect(
      unitOfWork.transaction(async (tx, events) => {
        await tx.insert(schema.notes).values({ id: randomUUID(), body: 'lost with its connection' });
        await events.record('user.created', userEvent());
        await tx.execute(sql`select pg_terminate_backend(pg_backend_pid())`);
      }),
    ).rejects.toThrow();
    expect(await database.db.select().from(schema.notes)).toHaveLength(0);
    expect(await listUnsentEvents(database.db)).toHaveLength(0);
    await createNote('on a healthy connection');
    expect(await database.db.select().from(schema.notes)).toHaveLength(1);
  });

  it('when a one-statement use case inserts its row with its events, then both are stored together and the relay publishes at once', async () => {
    // A poll so slow the test would time out waiting for it: only the write's wake-up can publish in time.
    const slowPolling = new UnitOfWork(database.db, { logger, pollIntervalMs: 60_000 });
    const recorder = await recordEvents(bus, 'user.created');
    slowPolling.relay.start(bus);
    try {
      const user = userEvent();
      const note = await slowPolling.insertWithEvents(schema.notes, { id: user.id, body: user.email }, [
        { subject: 'user.created', data: user },
      ]);
      expect(note).toEqual({ id: user.id, body: user.email, version: 0 });
      expect(await database.db.select().from(schema.notes)).toEqual([note]);
      await waitFor(() => expect(recorder.events.map((event) => event.data)).toEqual([user]));
    } finally {
      await slowPolling.relay.stop();
      await recorder.stop();
    }
  });

  it('when one-statement inserts of one shape repeat, then each is one prepared statement with all its events', async () => {
    for (const count of [1, 2, 2]) {
      const users = Array.from({ length: count }, userEvent);
      const { statements } = await countRoundTrips(() =>
        unitOfWork.insertWithEvents(
          schema.notes,
          { id: randomUUID(), body: `${count} events` },
          users.map((data) => ({ subject: 'user.created' as const, data })),
        ),
      );
      expect(statements).toEqual([
        expect.stringMatching(/^\[insert_with_events_[0-9a-f]{16}\] with "recorded_events"/),
      ]);
    }
    expect(await database.db.select().from(schema.notes)).toHaveLength(3);
    expect(await listUnsentEvents(database.db)).toHaveLength(5);
  });

  it('when a one-statement insert fails, then neither its row nor its events are kept', async () => {
    const id = randomUUID();
    await database.db.insert(schema.notes).values({ id, body: 'taken' });
    await expect(
      unitOfWork.insertWithEvents(schema.notes, { id, body: 'duplicate' }, [
        { subject: 'user.created', data: userEvent() },
      ]),
    ).rejects.toThrow();
    expect(await database.db.select().from(schema.notes)).toHaveLength(1);
    expect(await listUnsentEvents(database.db)).toHaveLength(0);
  });

  it('when a one-statement insert owes a payload that does not match the catalog, then nothing is written', async () => {
    await expect(
      unitOfWork.insertWithEvents(schema.notes, { id: randomUUID(), body: 'x' }, [
        // @ts-expect-error the compiler rejects this payload too
        { subject: 'user.created', data: { id: 'not-a-uuid' } },
      ]),
    ).rejects.toThrow();
    expect(await database.db.select().from(schema.notes)).toHaveLength(0);
    expect(await listUnsentEvents(database.db)).toHaveLength(0);
  });

  it('when the relay runs, then it publishes pending events in order with their ids and marks them sent', async () => {
    const recorder = await recordEvents(bus, 'user.created');
    const ids = [await createNote('a'), await createNote('b'), await createNote('c')];
    unitOfWork.relay.start(bus);
    await waitFor(() => expect(recorder.events.map((event) => event.id)).toEqual(ids));
    await waitFor(async () => expect(await listUnsentEvents(database.db)).toHaveLength(0));
    await recorder.stop();
  });

  it('when a use case commits while the relay is mid-pass, then its event is published at once, not at the next poll', async () => {
    // A poll so slow the test would time out waiting for it: only the commit's wake-up can publish in time.
    const slowPolling = new UnitOfWork(database.db, { logger, pollIntervalMs: 60_000 });
    const { publisher, inPass, release, published } = firstPublishHeld();
    const first = await createNote('first');
    slowPolling.relay.start(publisher);
    await inPass;
    // Committed (through the same outbox, as a route would) while the relay is inside its pass.
    const second = await slowPolling.transaction(async (tx, events) => {
      await tx.insert(schema.notes).values({ id: randomUUID(), body: 'second' });
      return events.record('user.created', userEvent());
    });
    release();
    try {
      await waitFor(() => expect(published).toEqual([first, second]));
    } finally {
      await slowPolling.relay.stop();
    }
  });

  it('when the relay is stopped mid-pass, then it stops once that batch is published, not after a poll', async () => {
    // A poll so slow the test would time out waiting for it: stop must not sleep through it after the pass.
    const slowPolling = new UnitOfWork(database.db, { logger, pollIntervalMs: 60_000 });
    const { publisher, inPass, release, published } = firstPublishHeld();
    const id = await createNote('in flight at shutdown');
    slowPolling.relay.start(publisher);
    await inPass;
    const stopped = slowPolling.relay.stop();
    release();
    await stopped;
    expect(published).toEqual([id]);
    // The batch in hand was finished, not abandoned: its row is marked sent.
    expect(await listUnsentEvents(database.db)).toHaveLength(0);
  });

  it('when the service crashed between commit and publish, then a relay started later delivers each event exactly once', async () => {
    // The "crash": events committed, and no relay ever ran in that process.
    const ids = [await createNote('before crash 1'), await createNote('before crash 2')];
    const recorder = await recordEvents(bus, 'user.created');

    const restarted = new UnitOfWork(database.db, { logger, pollIntervalMs: 50 });
    restarted.relay.start(bus);
    await waitFor(() => expect(recorder.events.map((event) => event.id)).toEqual(ids));
    await restarted.relay.stop();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(recorder.events).toHaveLength(2);
    await recorder.stop();
  });

  it('when the relay publishes a batch, then claiming it takes one round trip with BEGIN and marking it one with COMMIT', async () => {
    await createNote('a');
    await createNote('b');
    const { result, statements } = await countRoundTrips(() => unitOfWork.relay.relayOnce(bus));
    expect(result).toBe(2);
    expect(statements).toHaveLength(2);
    expect(await listUnsentEvents(database.db)).toHaveLength(0);
  });

  it('when the relay crashed after publishing but before marking rows sent, then the re-publish is dropped as a duplicate', async () => {
    const id = await createNote('published once');
    // Publishes for real, then dies before its transaction can mark the row.
    const crashingPublisher: EnvelopePublisher = {
      async publishEnvelope(envelope) {
        await bus.publishEnvelope(envelope);
        throw new Error('process killed');
      },
    };
    await expect(unitOfWork.relay.relayOnce(crashingPublisher)).rejects.toThrow('process killed');
    expect(await listUnsentEvents(database.db)).toHaveLength(1);

    expect(await unitOfWork.relay.relayOnce(bus)).toBe(1);
    expect(await listUnsentEvents(database.db)).toHaveLength(0);
    expect(await storedCount('user.created')).toBe(1);
    const recorder = await recordEvents(bus, 'user.created');
    await waitFor(() => expect(recorder.events.map((event) => event.id)).toEqual([id]));
    await recorder.stop();
  });

  it('when transactions commit out of sequence order, then the relay still publishes the row committed last', async () => {
    // Transaction A takes the first sequence number but commits after B: a relay that remembered
    // "highest sequence seen" would skip A forever.
    let releaseA!: () => void;
    const aMayCommit = new Promise<void>((resolve) => (releaseA = resolve));
    let aRecorded!: () => void;
    const aHasRecorded = new Promise<void>((resolve) => (aRecorded = resolve));
    const a = unitOfWork.transaction(async (_tx, events) => {
      const eventId = await events.record('user.created', userEvent());
      aRecorded();
      await aMayCommit;
      return eventId;
    });
    await aHasRecorded;
    const b = await createNote('b commits first');

    expect(await unitOfWork.relay.relayOnce(bus)).toBe(1);
    releaseA();
    const aId = await a;
    expect(await unitOfWork.relay.relayOnce(bus)).toBe(1);

    const recorder = await recordEvents(bus, 'user.created');
    await waitFor(() => expect(new Set(recorder.events.map((event) => event.id))).toEqual(new Set([aId, b])));
    await recorder.stop();
  });

  it('when two relays run at once (two replicas), then every event is published once', async () => {
    await Promise.all(Array.from({ length: 30 }, (_, index) => createNote(`note ${index}`)));
    const first = new UnitOfWork(database.db, { logger, batchSize: 5, pollIntervalMs: 20 });
    const second = new UnitOfWork(database.db, { logger, batchSize: 5, pollIntervalMs: 20 });
    first.relay.start(bus);
    second.relay.start(bus);
    await waitFor(async () => expect(await listUnsentEvents(database.db)).toHaveLength(0));
    await Promise.all([first.relay.stop(), second.relay.stop()]);
    expect(await storedCount('user.created')).toBe(30);
  });
});

/** Makes the transaction fail as PostgreSQL's deadlock detector or serialisable isolation would. */
async function abortAs(tx: Executor, code: '40P01' | '40001') {
  await tx.execute(sql.raw(`do $$ begin raise exception 'aborted by a conflict' using errcode = '${code}'; end $$`));
}

describe('a transaction aborted by another one (deadlock, serialisation failure)', () => {
  it.each(['40P01', '40001'] as const)(
    'when a use case is aborted with %s once, then it runs again and commits once, with its events',
    async (code) => {
      let attempts = 0;
      const eventId = await unitOfWork.transaction(async (tx, events) => {
        attempts += 1;
        await tx.insert(schema.notes).values({ id: randomUUID(), body: `attempt ${attempts}` });
        const recorded = await events.record('user.created', userEvent());
        if (attempts === 1) await abortAs(tx, code);
        return recorded;
      });
      expect(attempts).toBe(2);
      expect(await database.db.select({ body: schema.notes.body }).from(schema.notes)).toEqual([{ body: 'attempt 2' }]);
      expect((await listUnsentEvents(database.db)).map((row) => row.eventId)).toEqual([eventId]);
    },
  );

  it('when it keeps being aborted, then after the last attempt it is a 503 with Retry-After, and nothing is kept', async () => {
    let attempts = 0;
    const failure = await unitOfWork
      .transaction(async (tx, events) => {
        attempts += 1;
        await tx.insert(schema.notes).values({ id: randomUUID(), body: 'never' });
        await events.record('user.created', userEvent());
        await abortAs(tx, '40P01');
      })
      .catch((error: unknown) => error);
    expect(attempts).toBe(TRANSIENT_CONFLICT_ATTEMPTS);
    expect(failure).toBeInstanceOf(ServiceUnavailableError);
    expect((failure as ServiceUnavailableError).statusCode).toBe(503);
    expect((failure as ServiceUnavailableError).headers()).toEqual({ 'Retry-After': '1' });
    expect(await database.db.select().from(schema.notes)).toHaveLength(0);
    expect(await listUnsentEvents(database.db)).toHaveLength(0);
  });

  it('when a use case fails otherwise, then it is not run again', async () => {
    let attempts = 0;
    await expect(
      unitOfWork.transaction(async () => {
        attempts += 1;
        throw new Error('a bug, not a conflict');
      }),
    ).rejects.toThrow('a bug, not a conflict');
    expect(attempts).toBe(1);
  });
});

describe('inbox', () => {
  it('when the same event is applied twice, then its effect happens once', async () => {
    const eventId = randomUUID();
    const noteId = randomUUID();
    const effect = async () => {
      await unitOfWork.applyOnce('notes-user-created', eventId, async (tx) => {
        await tx
          .update(schema.notes)
          .set({ version: sql`${schema.notes.version} + 1` })
          .where(eq(schema.notes.id, noteId));
      });
    };
    await database.db.insert(schema.notes).values({ id: noteId, body: 'counter' });
    await effect();
    await effect();
    const [note] = await database.db.select().from(schema.notes).where(eq(schema.notes.id, noteId));
    expect(note?.version).toBe(1);
  });

  it('when an effect fails, then the event is not recorded as processed and can be applied again', async () => {
    const eventId = randomUUID();
    await expect(
      unitOfWork.applyOnce('notes-user-created', eventId, async () => {
        throw new Error('transient failure');
      }),
    ).rejects.toThrow('transient failure');
    expect(await unitOfWork.applyOnce('notes-user-created', eventId, async () => undefined)).toBe(true);
  });

  it('when an effect fails after writing and recording events, then neither the inbox record, the effect nor the events are kept', async () => {
    const eventId = randomUUID();
    await expect(
      unitOfWork.applyOnce('notes-user-created', eventId, async (tx, events) => {
        await tx.insert(schema.notes).values({ id: randomUUID(), body: 'doomed effect' });
        await events.record('user.created', userEvent());
        throw new Error('effect failed after writing');
      }),
    ).rejects.toThrow('effect failed after writing');
    expect(await database.db.select().from(schema.notes)).toHaveLength(0);
    expect(await listUnsentEvents(database.db)).toHaveLength(0);
    expect(await database.db.select().from(processedEvents)).toHaveLength(0);
  });

  it('when an event is redelivered, then its effect does not run and nothing is written', async () => {
    const eventId = randomUUID();
    let runs = 0;
    const effect = async (tx: Executor, events: EventRecorder) => {
      runs += 1;
      await tx.insert(schema.notes).values({ id: randomUUID(), body: `run ${runs}` });
      await events.record('user.created', userEvent());
    };
    expect(await unitOfWork.applyOnce('notes-user-created', eventId, effect)).toBe(true);
    expect(await unitOfWork.applyOnce('notes-user-created', eventId, effect)).toBe(false);
    expect(runs).toBe(1);
    expect(await database.db.select().from(schema.notes)).toHaveLength(1);
    expect(await listUnsentEvents(database.db)).toHaveLength(1);
  });

  it('when an effect of one statement records an event, then the event costs three round trips: the inbox with BEGIN, the effect, the outbox with COMMIT', async () => {
    const { result, statements } = await countRoundTrips(() =>
      unitOfWork.applyOnce('notes-user-created', randomUUID(), async (tx, events) => {
        await tx.insert(schema.notes).values({ id: randomUUID(), body: 'counted' });
        await events.record('user.created', userEvent());
      }),
    );
    expect(result).toBe(true);
    expect(statements).toHaveLength(3);
    expect(statements[0]).toMatch(/^begin; insert into processed_events/);
    expect(statements[2]).toMatch(/^insert into outbox .*; commit$/);
  });

  it('when several events arrive together, then their effects share one transaction: their inbox records with BEGIN, each effect, all their outbox rows with COMMIT', async () => {
    const ids = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const before = await transactionEffects();
    const { result, statements } = await countRoundTrips(() =>
      Promise.all(
        ids.map((id) =>
          unitOfWork.applyOnce('notes-user-created', id, async (tx, events) => {
            await tx.insert(schema.notes).values({ id, body: 'batched' });
            await events.record('user.created', userEvent());
          }),
        ),
      ),
    );
    expect(result).toEqual([true, true, true, true]);
    expect(statements).toHaveLength(ids.length + 2);
    // Counted as one transaction of four effects.
    const after = await transactionEffects();
    expect(after.count - before.count).toBe(1);
    expect(after.sum - before.sum).toBe(4);
    expect(after.upToTwo - before.upToTwo).toBe(0);
    expect(after.upToFour - before.upToFour).toBe(1);
    expect(statements[0]).toMatch(/^begin; insert into processed_events .*returning/);
    expect(statements.at(-1)).toMatch(/^insert into outbox .*; commit$/);
    expect(await database.db.select().from(schema.notes)).toHaveLength(4);
    expect(await database.db.select().from(processedEvents)).toHaveLength(4);
    expect(await listUnsentEvents(database.db)).toHaveLength(4);
  });

  it('when one effect of events that arrived together fails, then it fails alone with its own error and nothing of it is kept, and the others commit', async () => {
    const good = [randomUUID(), randomUUID()];
    const doomed = randomUUID();
    const apply = (id: string, fail: boolean) =>
      unitOfWork.applyOnce('notes-user-created', id, async (tx, events) => {
        await tx.insert(schema.notes).values({ id, body: fail ? 'doomed' : 'kept' });
        await events.record('user.created', userEvent());
        if (fail) throw new Error(`effect of ${id} failed`);
      });
    const outcomes = await Promise.allSettled([apply(good[0]!, false), apply(doomed, true), apply(good[1]!, false)]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toEqual(new Error(`effect of ${doomed} failed`));
    const kept = await database.db.select({ id: schema.notes.id }).from(schema.notes);
    expect(kept.map((note) => note.id).sort()).toEqual([...good].sort());
    expect(await listUnsentEvents(database.db)).toHaveLength(2);
    const recorded = await database.db.select({ eventId: processedEvents.eventId }).from(processedEvents);
    expect(recorded.map((row) => row.eventId).sort()).toEqual([...good].sort());
  });

  it('when an event arrives again beside new ones, or twice at once, then its effect runs once and the new ones apply', async () => {
    const seen = randomUUID();
    const fresh = randomUUID();
    const runs: string[] = [];
    const effect = (id: string) => async (tx: Executor) => {
      runs.push(id);
      await tx.insert(schema.notes).values({ id: randomUUID(), body: id });
    };
    expect(await unitOfWork.applyOnce('notes-user-created', seen, effect(seen))).toBe(true);
    const applied = await Promise.all([
      unitOfWork.applyOnce('notes-user-created', seen, effect(seen)),
      unitOfWork.applyOnce('notes-user-created', fresh, effect(fresh)),
      unitOfWork.applyOnce('notes-user-created', fresh, effect(fresh)),
    ]);
    expect(applied[0]).toBe(false);
    expect([applied[1], applied[2]].sort()).toEqual([false, true]);
    expect(runs).toEqual([seen, fresh]);
  });

  it('when effects share a transaction, then each resolves only once it is committed (another connection reads it)', async () => {
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    const seenFromOutside = await Promise.all(
      ids.map(async (id) => {
        await unitOfWork.applyOnce('notes-user-created', id, async (tx) => {
          await tx.insert(schema.notes).values({ id, body: 'visible after commit' });
        });
        return (await database.db.select().from(schema.notes).where(eq(schema.notes.id, id))).length;
      }),
    );
    expect(seenFromOutside).toEqual([1, 1, 1]);
  });

  it('when an effect is aborted by a conflict once, then it runs again and its inbox record, effect and events commit once', async () => {
    const eventId = randomUUID();
    let attempts = 0;
    const applied = await unitOfWork.applyOnce('notes-user-created', eventId, async (tx, events) => {
      attempts += 1;
      await tx.insert(schema.notes).values({ id: randomUUID(), body: `attempt ${attempts}` });
      await events.record('user.created', userEvent());
      if (attempts === 1) await abortAs(tx, '40P01');
    });
    expect(applied).toBe(true);
    expect(attempts).toBe(2);
    expect(await database.db.select({ body: schema.notes.body }).from(schema.notes)).toEqual([{ body: 'attempt 2' }]);
    expect(await listUnsentEvents(database.db)).toHaveLength(1);
    expect(await database.db.select().from(processedEvents)).toHaveLength(1);
  });

  it('when two consumers of one service receive the same event, then each applies it once', async () => {
    const eventId = randomUUID();
    expect(await unitOfWork.applyOnce('consumer-a', eventId, async () => undefined)).toBe(true);
    expect(await unitOfWork.applyOnce('consumer-b', eventId, async () => undefined)).toBe(true);
    expect(await unitOfWork.applyOnce('consumer-a', eventId, async () => undefined)).toBe(false);
  });

  it('when an inbox listener gets a redelivered event on a real stream, then the effect and its events happen once', async () => {
    const applied: string[] = [];
    const definition = inboxListener(unitOfWork, {
      subject: 'user.created',
      durable: 'notes-user-created',
      async apply(data, { tx, events }) {
        applied.push(data.id);
        await tx.insert(schema.notes).values({ id: data.id, body: data.email });
        await events.record('user.updated', { ...data, version: data.version + 1 });
      },
    });
    const user = userEvent();
    const published = await bus.publish('user.created', user);
    const redelivered: EventEnvelope<'user.created'>[] = [];
    await bus.listen({
      ...definition,
      async handle(event, context) {
        redelivered.push(event);
        await definition.handle(event, context);
        // The first delivery is applied but "never acked": JetStream delivers it again.
        if (context.deliveryCount === 1) throw new Error('lost the ack');
      },
    });
    await waitFor(() => expect(redelivered).toHaveLength(2));
    expect(redelivered.every((event) => event.id === published.id)).toBe(true);
    expect(applied).toEqual([user.id]);
    expect(await database.db.select().from(schema.notes)).toHaveLength(1);
    expect(await listUnsentEvents(database.db)).toHaveLength(1);
  });

  it('when an inbox listener has an afterCommit, then it runs once the effect is visible outside the transaction, on a redelivery too, and never after a failed effect', async () => {
    const visibleAfterCommit: number[] = [];
    let failNext = true;
    const definition = inboxListener(unitOfWork, {
      subject: 'user.created',
      durable: 'notes-user-created-after-commit',
      async apply(data, { tx }) {
        await tx.insert(schema.notes).values({ id: data.id, body: data.email });
        if (failNext) {
          failNext = false;
          throw new Error('transient failure');
        }
      },
      afterCommit(data) {
        // Outside the effect's transaction: only a committed row can be read here.
        void database.db
          .select()
          .from(schema.notes)
          .where(eq(schema.notes.id, data.id))
          .then((rows) => visibleAfterCommit.push(rows.length));
      },
    });
    const user = userEvent();
    const envelope: EventEnvelope<'user.created'> = {
      id: randomUUID(),
      subject: 'user.created',
      occurredAt: new Date().toISOString(),
      data: user,
    };
    await expect(definition.handle(envelope, { deliveryCount: 1, logger })).rejects.toThrow('transient failure');
    await definition.handle(envelope, { deliveryCount: 2, logger });
    await definition.handle(envelope, { deliveryCount: 3, logger });
    await waitFor(() => expect(visibleAfterCommit).toEqual([1, 1]));
  });

  it('when an inbox listener handles events side by side and each is redelivered, then every effect happens once', async () => {
    const applied: string[] = [];
    const definition = inboxListener(unitOfWork, {
      subject: 'user.created',
      durable: 'notes-user-created-concurrently',
      orderingKey: (event) => event.data.id,
      concurrency: 8,
      async apply(data, { tx, events }) {
        applied.push(data.id);
        await tx.insert(schema.notes).values({ id: data.id, body: data.email });
        await events.record('user.updated', { ...data, version: data.version + 1 });
      },
    });
    const users = Array.from({ length: 20 }, userEvent);
    for (const user of users) await bus.publish('user.created', user);
    let deliveries = 0;
    await bus.listen({
      ...definition,
      async handle(event, context) {
        deliveries += 1;
        await definition.handle(event, context);
        // Every first delivery is applied but "never acked": JetStream delivers each again.
        if (context.deliveryCount === 1) throw new Error('lost the ack');
      },
    });
    await waitFor(() => expect(deliveries).toBe(40));
    expect(applied.sort()).toEqual(users.map((user) => user.id).sort());
    expect(await database.db.select().from(schema.notes)).toHaveLength(20);
    expect(await listUnsentEvents(database.db)).toHaveLength(20);
  });
});

describe('statements of literals, several in one round trip (runStatements)', () => {
  /** A prepared text of its own for each test: a connection keeps what it prepared for as long as it lives. */
  const noteBody = () =>
    preparedText(`test_note_body_${randomUUID().replaceAll('-', '_')}`, 'SELECT "body" FROM "notes" WHERE "id" = $1');

  it('when a prepared text runs twice on one connection, then it goes with its PREPARE the first time and as EXECUTE alone after', async () => {
    const noteId = randomUUID();
    await database.db.insert(schema.notes).values({ id: noteId, body: 'planned once' });
    const prepared = noteBody();
    const { result, statements } = await countRoundTrips(() =>
      runInTransaction(database.db, async (tx) => [
        await runStatements(tx, [execute(prepared, sqlLiteral(noteId)), 'SELECT 1 AS "one"']),
        await runStatements(tx, [execute(prepared, sqlLiteral(noteId))]),
      ]),
    );
    const [first, second] = result;
    expect(first?.map((each) => each.rows)).toEqual([[{ body: 'planned once' }], [{ one: 1 }]]);
    expect(second?.map((each) => each.rows)).toEqual([[{ body: 'planned once' }]]);
    expect(statements).toEqual([
      'begin',
      `PREPARE ${prepared.name} AS ${prepared.text}; EXECUTE ${prepared.name}('${noteId}'); SELECT 1 AS "one"`,
      `EXECUTE ${prepared.name}('${noteId}')`,
      'commit',
    ]);
  });

  it('when a text fails after its PREPARE ran, then the next use asks the connection what it holds and executes without preparing again', async () => {
    const noteId = randomUUID();
    await database.db.insert(schema.notes).values({ id: noteId, body: 'kept prepared' });
    const prepared = noteBody();
    const { result, statements } = await countRoundTrips(() =>
      runInTransaction(database.db, async (tx) => {
        // A savepoint keeps the transaction (and its connection) going after the failure.
        const failure = await tx
          .transaction((savepoint) => runStatements(savepoint, [execute(prepared, sqlLiteral(noteId)), 'SELECT 1/0']))
          .then(
            () => undefined,
            (error: unknown) => error,
          );
        expect(postgresErrorCode(failure)).toBe('22012');
        return runStatements(tx, [execute(prepared, sqlLiteral(noteId))]);
      }),
    );
    expect(result.map((each) => each.rows)).toEqual([[{ body: 'kept prepared' }]]);
    expect(statements.slice(-3)).toEqual([
      'SELECT name FROM pg_prepared_statements',
      `EXECUTE ${prepared.name}('${noteId}')`,
      'commit',
    ]);
  });

  it('when a prepared text runs on the pool handle (no one connection), then its arguments are written into the text', async () => {
    const noteId = randomUUID();
    await database.db.insert(schema.notes).values({ id: noteId, body: 'inlined' });
    const prepared = noteBody();
    const { result, statements } = await countRoundTrips(() =>
      runStatements(database.db, [execute(prepared, sqlLiteral(noteId))]),
    );
    expect(result.map((each) => each.rows)).toEqual([[{ body: 'inlined' }]]);
    expect(statements).toEqual([`SELECT "body" FROM "notes" WHERE "id" = '${noteId}'`]);
  });

  it('when an insert and an update go as one text, then it is one round trip, and each row reads as Drizzle reads it', async () => {
    const noteId = randomUUID();
    const body = `it's "quoted"; drop table notes; --`;
    const eventId = randomUUID();
    await database.db.insert(schema.outbox).values({ eventId, subject: 'user.created', data: { id: noteId, n: 1 } });
    const sentAt = new Date('2030-01-02T03:04:05.678Z');
    const { result, statements } = await countRoundTrips(() =>
      runStatements(database.db, [
        `INSERT INTO "notes" ("id", "body") VALUES (${literalOf(schema.notes.id, noteId)}, ${literalOf(schema.notes.body, body)}) RETURNING ${selectListOf(schema.notes)}`,
        `UPDATE "outbox" SET "sent_at" = ${literalOf(schema.outbox.sentAt, sentAt)} WHERE "event_id" = ${sqlLiteral(eventId)} RETURNING ${selectListOf(schema.outbox)}`,
      ]),
    );
    expect(statements).toHaveLength(1);
    const [inserted, updated] = result;
    expect(rowOf(schema.notes, inserted?.rows[0] as Record<string, unknown>)).toEqual({ id: noteId, body, version: 0 });
    const [asDrizzleReadsIt] = await database.db.select().from(schema.outbox).where(eq(schema.outbox.eventId, eventId));
    const row = rowOf(schema.outbox, updated?.rows[0] as Record<string, unknown>);
    expect(row).toEqual(asDrizzleReadsIt);
    expect(row.sentAt).toEqual(sentAt);
    expect(row.data).toEqual({ id: noteId, n: 1 });
  });

  it('when one statement of the text fails inside a transaction, then the call fails and nothing of the transaction is kept', async () => {
    const noteId = randomUUID();
    const failure = await database.db
      .transaction((tx) =>
        runStatements(tx, [
          `INSERT INTO "notes" ("id", "body") VALUES (${sqlLiteral(noteId)}, 'kept?')`,
          `INSERT INTO "notes" ("id", "body") VALUES (${sqlLiteral(noteId)}, 'twice')`,
        ]),
      )
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(isUniqueViolation(failure)).toBe(true);
    expect(await database.db.select().from(schema.notes).where(eq(schema.notes.id, noteId))).toEqual([]);
  });
});
