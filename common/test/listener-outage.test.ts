import path from 'node:path';
import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import pino from 'pino';
import {
  metricsRegistry,
  probeReadiness,
  RetryLaterError,
  startListeners,
  type ListenerDefinition,
  type Readiness,
  type ReadinessProbe,
  type RunningListeners,
} from '../src';
import {
  collectDeadLetters,
  createTestBus,
  createTestDatabase,
  refuseConnections,
  waitFor,
  type TestBus,
  type TestDatabase,
} from '../src/testing';
import { ticketData } from './fixtures/events';
import * as schema from './fixtures/schema';

const migrations = path.join(__dirname, 'fixtures', 'migrations');

/** Short, so that holding an event through the outage has to outlast it several times. */
const ACK_WAIT_MS = 1_000;

let database: TestDatabase<typeof schema>;
let bus: TestBus;
let listeners: RunningListeners | undefined;
/** Every line the bus logged, parsed. */
let lines: { level: number; msg: string; durable?: string }[];

beforeAll(async () => {
  database = await createTestDatabase(migrations, schema);
});
afterAll(async () => {
  await database.drop();
});

beforeEach(async () => {
  lines = [];
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    }),
  );
  // A small retry policy: without the pause, each event's own backoff would reach its maximum within the outage.
  bus = await createTestBus({ logger, retry: { baseDelayMs: 50, maxDelayMs: 1_000 } });
});
afterEach(async () => {
  await listeners?.stop();
  listeners = undefined;
  await bus.destroy();
});

/** The delivery counts each event's handler was called with, by event id. */
type Attempts = Map<string, number[]>;

/** A listener writing each event to the database, as every service's listeners do, noting each attempt. */
function notingListener(
  durable: string,
  attempts: Attempts,
  before: () => Promise<void> = async () => undefined,
): ListenerDefinition<'ticket.created'> {
  return {
    subject: 'ticket.created',
    durable,
    ackWaitMs: ACK_WAIT_MS,
    orderingKey: (event) => event.data.id,
    async handle(event, { deliveryCount }) {
      attempts.set(event.id, [...(attempts.get(event.id) ?? []), deliveryCount]);
      await before();
      await database.db.insert(schema.notes).values({ id: event.id, body: event.data.title });
    },
  };
}

/** The service's readiness probe, counting how often it is asked. */
function countedReadiness(probe: ReadinessProbe = probeReadiness({ database, bus })) {
  const counted: { calls: number; probe: ReadinessProbe } = {
    calls: 0,
    probe: () => {
      counted.calls += 1;
      return probe();
    },
  };
  return counted;
}

const notesWritten = async (ids: string[]) =>
  (await database.db.select().from(schema.notes))
    .map((note) => note.id)
    .filter((id) => ids.includes(id))
    .sort();

const pausedConsumers = async () => (await probeReadiness({ database, bus })()).details?.pausedConsumers;

async function pausedGauge(durable: string): Promise<number | undefined> {
  const metric = await metricsRegistry.getSingleMetric('ticketing_consumer_paused')?.get();
  return metric?.values.find((value) => value.labels.consumer === durable)?.value;
}

const copy = (attempts: Attempts): Attempts => new Map([...attempts].map(([id, counts]) => [id, [...counts]]));

describe('a consumer whose database goes away', () => {
  it('when its handler fails because the database is down, then it pauses as a whole, spends no retries while paused, and applies every event once the database is back', async () => {
    const durable = 'test-outage-pause';
    const attempts: Attempts = new Map();
    const readiness = countedReadiness();
    listeners = await startListeners(bus, [notingListener(durable, attempts)], { readiness: readiness.probe });

    const restore = await refuseConnections(database.name);
    const published: string[] = [];
    try {
      for (let i = 0; i < 3; i += 1) published.push((await bus.publish('ticket.created', ticketData())).id);

      // Paused, and /readyz says so.
      await waitFor(async () => expect(await pausedConsumers()).toEqual([expect.objectContaining({ durable })]));
      expect(await pausedGauge(durable)).toBe(1);
      const whenPaused = copy(attempts);

      // Held through several readiness probes and more than twice the ack wait: no handler called again, no
      // delivery repeated.
      const probesWhenPaused = readiness.calls;
      const pausedAt = Date.now();
      await waitFor(() => readiness.calls >= probesWhenPaused + 6 && Date.now() - pausedAt > 2.5 * ACK_WAIT_MS, {
        timeoutMs: 20_000,
      });
      expect(attempts).toEqual(whenPaused);
      expect(await pausedConsumers()).toEqual([expect.objectContaining({ durable })]);
    } finally {
      await restore();
    }

    await waitFor(async () => expect(await notesWritten(published)).toEqual([...published].sort()));
    // Each event was applied by its first delivery: held, never redelivered nor retried with backoff.
    for (const id of published) expect(attempts.get(id)?.at(-1)).toBe(1);
    await waitFor(async () => expect(await pausedConsumers()).toEqual([]));
    expect(await pausedGauge(durable)).toBe(0);

    // One warning when it paused and one line when it resumed, not one per event or per retry.
    const ofConsumer = lines.filter((line) => line.durable === durable && line.level >= 30);
    expect(ofConsumer.filter((line) => line.level >= 40).map((line) => line.msg)).toEqual([
      'consumer paused: a dependency is down',
    ]);
    expect(ofConsumer.filter((line) => line.msg.startsWith('consumer resumed'))).toHaveLength(1);
  });

  it('when the outage outlasts the retry budget, then the time paused does not count: an event failing after it is retried, not dead-lettered', async () => {
    await bus.destroy();
    bus = await createTestBus({ retry: { budgetMs: 2_000, baseDelayMs: 50, maxDelayMs: 200 } });
    const durable = 'test-outage-budget';
    const attempts: Attempts = new Map();
    // Once the database answers again, the handler fails one more time for a reason of its own.
    let failuresAfterOutage = 1;
    const failOnceMore = async () => {
      await database.db.execute(sql`SELECT 1`);
      if (failuresAfterOutage-- > 0) throw new Error('a hiccup of its own');
    };
    const deadLetters = collectDeadLetters(bus, durable);
    listeners = await startListeners(bus, [notingListener(durable, attempts, failOnceMore)], {
      readiness: countedReadiness(probeReadiness({ database, bus })).probe,
    });

    const restore = await refuseConnections(database.name);
    let id: string;
    try {
      id = (await bus.publish('ticket.created', ticketData())).id;
      const downAt = Date.now();
      // Down for longer than the event's whole budget.
      await waitFor(() => Date.now() - downAt > 3_000, { timeoutMs: 10_000 });
    } finally {
      await restore();
    }

    await waitFor(async () => expect(await notesWritten([id])).toEqual([id]));
    expect(failuresAfterOutage).toBeLessThan(0);
    expect(deadLetters.received).toEqual([]);
    deadLetters.stop();
  });

  it('when a handler fails on a connection error while the service is ready, then only that event is retried, with backoff', async () => {
    const durable = 'test-outage-ready';
    const deliveries: number[] = [];
    const ready = countedReadiness(async (): Promise<Readiness> => ({ checks: { database: true } }));
    listeners = await startListeners(
      bus,
      [
        {
          subject: 'ticket.created',
          durable,
          async handle(_event, { deliveryCount }) {
            deliveries.push(deliveryCount);
            if (deliveries.length < 3) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
          },
        },
      ],
      { readiness: ready.probe },
    );

    await bus.publish('ticket.created', ticketData());

    await waitFor(() => expect(deliveries).toEqual([1, 2, 3]));
    expect(ready.calls).toBeGreaterThan(0);
    expect(await pausedConsumers()).toEqual([]);
  });

  it('when an event arrives early, then it alone waits for its turn: the consumer neither pauses nor asks if the service is ready', async () => {
    const durable = 'test-outage-early';
    const early = ticketData();
    const handled: string[] = [];
    let earlyAttempts = 0;
    const readiness = countedReadiness();
    const listener: ListenerDefinition<'ticket.created'> = {
      subject: 'ticket.created',
      durable,
      orderingKey: (event) => event.data.id,
      async handle(event) {
        if (event.data.id === early.id && ++earlyAttempts < 3) throw new RetryLaterError('version gap', 50);
        handled.push(event.data.id);
      },
    };
    listeners = await startListeners(bus, [listener], { readiness: readiness.probe });

    await bus.publish('ticket.created', early);
    const other = ticketData();
    await bus.publish('ticket.created', other);

    await waitFor(() => expect(handled.sort()).toEqual([early.id, other.id].sort()));
    expect(earlyAttempts).toBe(3);
    expect(readiness.calls).toBe(0);
  });
});

describe('a paused consumer that stops', () => {
  it('when it stops while paused, then the deliveries it holds go back at once and another process takes them', async () => {
    const durable = 'test-outage-stop';
    const downFor: number[] = [];
    const neverReady = countedReadiness(async (): Promise<Readiness> => ({ checks: { database: false } }));
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const failing = async () => {
      downFor.push(1);
      throw refused;
    };
    // The server's default ack wait (30 s): only giving the delivery back brings it to another process sooner.
    const { ackWaitMs: _short, ...holding } = notingListener(durable, new Map(), failing);
    listeners = await startListeners(bus, [holding], { readiness: neverReady.probe });
    const { id } = await bus.publish('ticket.created', ticketData());
    await waitFor(async () => expect(await pausedConsumers()).toEqual([expect.objectContaining({ durable })]));

    await listeners.stop();
    listeners = undefined;
    expect(await pausedConsumers()).toEqual([]);

    // Another process binding the same durable gets it now, not after the ack wait.
    const { ackWaitMs: _alsoShort, ...taking } = notingListener(durable, new Map());
    listeners = await startListeners(bus, [taking]);
    await waitFor(async () => expect(await notesWritten([id])).toEqual([id]));
    expect(downFor).toEqual([1]);
  });
});
