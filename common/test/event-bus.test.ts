import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { EventBus, PermanentEventError, RetryLaterError, type EventEnvelope } from '../src';
import {
  collectDeadLetters,
  createTestBus,
  createTestLogger,
  natsUrl,
  publishRaw,
  waitFor,
  type TestBus,
} from '../src/testing';
import { ticketData } from './fixtures/events';

/** A second connection to the same stream: another process binding the same durable. */
function connectAgain(bus: TestBus): Promise<EventBus> {
  return EventBus.connect({
    ...bus.options,
    servers: natsUrl(),
    connectionName: 'second-instance',
    logger: createTestLogger(),
  });
}

let bus: TestBus;
const others: EventBus[] = [];

beforeEach(async () => {
  bus = await createTestBus();
});

afterEach(async () => {
  await Promise.all(others.splice(0).map((other) => other.close().catch(() => undefined)));
  await bus.destroy();
});

describe('EventBus on a real JetStream', () => {
  it('when the same event id is published twice, then JetStream drops the copy and a listener sees it once', async () => {
    const id = randomUUID();
    const data = ticketData();
    const first = await bus.publish('ticket.created', data, { id });
    const second = await bus.publish('ticket.created', data, { id });
    expect(first.duplicate).toBe(false);
    expect(second.duplicate).toBe(true);

    const seen: EventEnvelope<'ticket.created'>[] = [];
    await bus.listen({
      subject: 'ticket.created',
      durable: 'test-dedupe',
      handle: async (event) => void seen.push(event),
    });
    await waitFor(() => expect(seen).toHaveLength(1));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ id, subject: 'ticket.created', data });
  });

  it('when a payload does not match the catalog, then publish refuses it before it reaches the bus', async () => {
    await expect(
      // @ts-expect-error a ticket.created payload without a price does not type-check either
      bus.publish('ticket.created', { id: randomUUID(), title: 'x', userId: randomUUID(), orderId: null, version: 0 }),
    ).rejects.toThrow(/price/);
    const info = await bus.manager.streams.info(bus.options.stream);
    expect(info.state.messages).toBe(0);
  });

  it('when a worker takes a message and dies without acking, then the message is redelivered to another', async () => {
    // Not in `others`: its handler never returns, and its connection is closed below (the crash).
    const worker = await connectAgain(bus);
    let taken!: () => void;
    const tookIt = new Promise<void>((resolve) => (taken = resolve));
    const hungListener = await worker.listen({
      subject: 'ticket.created',
      durable: 'test-redelivery',
      ackWaitMs: 500,
      // Takes the message, then hangs: the process is about to be killed.
      handle: () => {
        taken();
        return new Promise<void>(() => undefined);
      },
    });
    const published = await bus.publish('ticket.created', ticketData());
    await tookIt;
    await worker.connection.close();

    const deliveries: { id: string; deliveryCount: number }[] = [];
    await bus.listen({
      subject: 'ticket.created',
      durable: 'test-redelivery',
      ackWaitMs: 500,
      handle: async (event, { deliveryCount }) => void deliveries.push({ id: event.id, deliveryCount }),
    });
    await waitFor(() => expect(deliveries).toEqual([{ id: published.id, deliveryCount: 2 }]));
    // What the dead process would have taken with it: its consumer's timers.
    void hungListener.stop();
  });

  it('when a handler fails, then the event is retried and applied once it succeeds', async () => {
    let attempts = 0;
    const applied: string[] = [];
    await bus.listen({
      subject: 'ticket.created',
      durable: 'test-retry',
      handle: async (event) => {
        attempts += 1;
        if (attempts === 1) throw new Error('database hiccup');
        if (attempts === 2) throw new RetryLaterError('version gap', 50);
        applied.push(event.id);
      },
    });
    const published = await bus.publish('ticket.created', ticketData());
    await waitFor(() => expect(applied).toEqual([published.id]));
    expect(attempts).toBe(3);
  });

  it.each([
    [
      'a payload failing its schema',
      JSON.stringify({
        id: randomUUID(),
        subject: 'ticket.created',
        occurredAt: new Date().toISOString(),
        data: { title: 42 },
      }),
    ],
    [
      'an envelope for another subject',
      JSON.stringify({
        id: randomUUID(),
        subject: 'order.expired',
        occurredAt: new Date().toISOString(),
        data: { orderId: randomUUID() },
      }),
    ],
    ['bytes that are not JSON', '{not json'],
  ])(
    'when a listener receives %s, then it is terminated at once, kept as a dead letter, and never retried',
    async (_case, raw) => {
      const durable = `test-malformed-${randomUUID().slice(0, 8)}`;
      const dead = collectDeadLetters(bus, durable);
      let handled = 0;
      await bus.listen({ subject: 'ticket.created', durable, handle: async () => void (handled += 1) });
      await publishRaw(bus, 'ticket.created', raw);

      await waitFor(() => expect(dead.received).toHaveLength(1));
      expect(dead.received[0]).toMatchObject({ durable, payload: raw, deliveryCount: 1 });
      await new Promise((resolve) => setTimeout(resolve, 500));
      const consumer = await bus.manager.consumers.info(bus.options.stream, durable);
      expect(handled).toBe(0);
      expect(consumer.num_ack_pending).toBe(0);
      expect(consumer.num_redelivered).toBe(0);
      expect(consumer.num_pending).toBe(0);
      dead.stop();
    },
  );

  it('when a handler keeps failing, then it is retried for the whole retry budget, then kept as a dead letter', async () => {
    const budgeted = await createTestBus({ retry: { budgetMs: 1_500, baseDelayMs: 50, maxDelayMs: 200 } });
    others.push(budgeted);
    const dead = collectDeadLetters(budgeted, 'test-budget');
    const attemptsAt: number[] = [];
    await budgeted.listen({
      subject: 'ticket.created',
      durable: 'test-budget',
      handle: async () => {
        attemptsAt.push(Date.now());
        throw new Error('database unreachable');
      },
    });
    const published = await budgeted.publish('ticket.created', ticketData());
    await waitFor(() => expect(dead.received).toHaveLength(1), { timeoutMs: 10_000 });
    const attempts = attemptsAt.length;
    // Retried all along the budget (50, 100, 200, 200 … ms apart), not given up after a fixed count.
    expect(attempts).toBeGreaterThanOrEqual(7);
    expect((attemptsAt.at(-1) ?? 0) - (attemptsAt[0] ?? 0)).toBeGreaterThanOrEqual(1_000);
    expect(dead.received[0]).toMatchObject({
      durable: 'test-budget',
      kind: 'retry-budget-exhausted',
      reason: 'database unreachable',
      deliveryCount: attempts,
      subject: budgeted.wireSubject('ticket.created'),
    });
    expect(JSON.parse(String(dead.received[0]?.payload)).id).toBe(published.id);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(attemptsAt).toHaveLength(attempts);
    dead.stop();
    await budgeted.destroy();
  });

  it('when an outage outlasts the old bounded deliveries, then the event still applies once the dependency is back', async () => {
    // Ten deliveries used to be the limit; with a time budget, the twentieth attempt may still succeed.
    const fast = await createTestBus({ retry: { baseDelayMs: 10, maxDelayMs: 20 } });
    others.push(fast);
    let attempts = 0;
    const applied: string[] = [];
    await fast.listen({
      subject: 'ticket.created',
      durable: 'test-outage',
      handle: async (event) => {
        attempts += 1;
        if (attempts < 20) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
        applied.push(event.id);
      },
    });
    const published = await fast.publish('ticket.created', ticketData());
    await waitFor(() => expect(applied).toEqual([published.id]), { timeoutMs: 10_000 });
    expect(attempts).toBe(20);
    await fast.destroy();
  });

  it('when a handler says an event can never apply, then it is dead-lettered at once and not retried', async () => {
    const dead = collectDeadLetters(bus, 'test-permanent');
    let attempts = 0;
    await bus.listen({
      subject: 'ticket.created',
      durable: 'test-permanent',
      handle: async () => {
        attempts += 1;
        throw new PermanentEventError('ticket belongs to a deleted seller');
      },
    });
    await bus.publish('ticket.created', ticketData());
    await waitFor(() => expect(dead.received).toHaveLength(1));
    expect(dead.received[0]).toMatchObject({
      kind: 'permanent',
      reason: 'ticket belongs to a deleted seller',
      deliveryCount: 1,
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(attempts).toBe(1);
    dead.stop();
  });

  it('when a consumer holds a failing event past the warning threshold, then it logs a warning and lists it as held', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const watched = await createTestBus({ logger, retry: { stuckWarningMs: 300, baseDelayMs: 50, maxDelayMs: 100 } });
    others.push(watched);
    let healthy = false;
    const applied: string[] = [];
    await watched.listen({
      subject: 'ticket.created',
      durable: 'test-stuck',
      handle: async (event) => {
        if (!healthy) throw new Error('Stripe unreachable');
        applied.push(event.id);
      },
    });
    const published = await watched.publish('ticket.created', ticketData());

    await waitFor(() =>
      expect(lines).toContainEqual(
        expect.objectContaining({
          level: 40,
          durable: 'test-stuck',
          ageSeconds: expect.any(Number),
          msg: 'consumer is holding an event that keeps failing',
        }),
      ),
    );
    expect(watched.heldEvents()).toEqual([
      expect.objectContaining({
        durable: 'test-stuck',
        lastError: 'Stripe unreachable',
        ageSeconds: expect.any(Number),
      }),
    ]);

    healthy = true;
    await waitFor(() => expect(applied).toEqual([published.id]));
    expect(watched.heldEvents()).toEqual([]);
    await watched.destroy();
  });

  it('when two instances bind one durable, then they share the events and each event is handled once', async () => {
    const second = await connectAgain(bus);
    others.push(second);
    const byInstance: Record<'first' | 'second', string[]> = { first: [], second: [] };
    // A little work per event, so that both instances have a chance to pull.
    const handler = (name: 'first' | 'second') => async (event: EventEnvelope<'ticket.created'>) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      byInstance[name].push(event.id);
    };
    await bus.listen({ subject: 'ticket.created', durable: 'test-shared', handle: handler('first') });
    await second.listen({ subject: 'ticket.created', durable: 'test-shared', handle: handler('second') });

    const ids = await Promise.all(
      Array.from({ length: 60 }, async () => (await bus.publish('ticket.created', ticketData())).id),
    );
    await waitFor(() => expect(byInstance.first.length + byInstance.second.length).toBe(60));
    const all = [...byInstance.first, ...byInstance.second];
    expect(new Set(all)).toEqual(new Set(ids));
    expect(all).toHaveLength(60);
    expect(byInstance.first.length).toBeGreaterThan(0);
    expect(byInstance.second.length).toBeGreaterThan(0);
  });

  it('when one listener hears two sibling subjects, then it gets both, in the order they were stored', async () => {
    const seen: string[] = [];
    await bus.listen({
      subject: ['ticket.created', 'ticket.updated'],
      durable: 'test-siblings',
      handle: async (event) => {
        // The union narrows by subject: each branch sees its own payload type.
        seen.push(
          event.subject === 'ticket.created' ? `created ${event.data.version}` : `updated ${event.data.version}`,
        );
      },
    });
    const created = ticketData();
    await bus.publish('ticket.created', created);
    await bus.publish('order.expired', { orderId: randomUUID() });
    for (const version of [1, 2, 3]) await bus.publish('ticket.updated', { ...created, version });
    await waitFor(() => expect(seen).toEqual(['created 0', 'updated 1', 'updated 2', 'updated 3']));
  });

  it('when a durable is retired, then the server no longer keeps it', async () => {
    await bus.listen({ subject: 'ticket.created', durable: 'test-retired', handle: async () => undefined });
    await bus.close();
    bus = await createTestBus({ prefix: bus.options.subjectPrefix });
    await bus.retireConsumers(['test-retired', 'test-never-existed']);
    await expect(bus.manager.consumers.info(bus.options.stream, 'test-retired')).rejects.toThrow();
  });

  it('when a listener stops and starts again, then it resumes where it stopped without replaying handled events', async () => {
    const seen: string[] = [];
    const handle = async (event: EventEnvelope<'ticket.created'>) => void seen.push(event.id);
    const first = await bus.listen({ subject: 'ticket.created', durable: 'test-resume', handle });
    const before = await bus.publish('ticket.created', ticketData());
    await waitFor(() => expect(seen).toEqual([before.id]));
    await first.stop();

    const whileDown = await bus.publish('ticket.created', ticketData());
    await bus.listen({ subject: 'ticket.created', durable: 'test-resume', handle });
    await waitFor(() => expect(seen).toEqual([before.id, whileDown.id]));
  });
});

describe('a listener handling events side by side', () => {
  /** A promise and the function that resolves it: a gate a test opens when it has seen enough. */
  function gate(): { opened: Promise<void>; open(): void } {
    let open!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    return { opened, open };
  }

  it('when it names an ordering key, then it handles events about different entities at once, never more than its concurrency', async () => {
    for (let index = 0; index < 8; index += 1) await bus.publish('ticket.created', ticketData());
    const release = gate();
    let inFlight = 0;
    let mostInFlight = 0;
    const handled: string[] = [];
    await bus.listen({
      subject: 'ticket.created',
      durable: 'test-concurrent',
      orderingKey: (event) => event.data.id,
      concurrency: 4,
      handle: async (event) => {
        inFlight += 1;
        mostInFlight = Math.max(mostInFlight, inFlight);
        // Every handler waits until the test has seen four at once: one at a time, the first would wait forever.
        await release.opened;
        inFlight -= 1;
        handled.push(event.id);
      },
    });
    await waitFor(() => expect(inFlight).toBe(4));
    release.open();
    await waitFor(() => expect(handled).toHaveLength(8));
    expect(mostInFlight).toBe(4);
  });

  it('when events share a key, then they are handled one at a time in the order they were stored, beside other keys', async () => {
    const first = ticketData();
    const second = ticketData();
    for (let version = 0; version < 5; version += 1) {
      await bus.publish(version === 0 ? 'ticket.created' : 'ticket.updated', { ...first, version });
      await bus.publish(version === 0 ? 'ticket.created' : 'ticket.updated', { ...second, version });
    }
    const versions: Record<string, number[]> = { [first.id]: [], [second.id]: [] };
    const inFlightPerKey = new Map<string, number>();
    let overlapsOfOneKey = 0;
    await bus.listen({
      subject: ['ticket.created', 'ticket.updated'],
      durable: 'test-ordered-by-key',
      orderingKey: (event) => event.data.id,
      handle: async (event) => {
        const running = (inFlightPerKey.get(event.data.id) ?? 0) + 1;
        inFlightPerKey.set(event.data.id, running);
        if (running > 1) overlapsOfOneKey += 1;
        // A turn of the event loop with the handler in flight, so that an overlap would be seen.
        await new Promise((resolve) => setTimeout(resolve, 5));
        versions[event.data.id]?.push(event.data.version);
        inFlightPerKey.set(event.data.id, running - 1);
      },
    });
    await waitFor(() => expect(versions).toEqual({ [first.id]: [0, 1, 2, 3, 4], [second.id]: [0, 1, 2, 3, 4] }));
    expect(overlapsOfOneKey).toBe(0);
  });

  it("when one entity's event is slow, then events about other entities are handled meanwhile", async () => {
    const slow = await bus.publish('ticket.created', ticketData());
    const others = await Promise.all(
      Array.from({ length: 5 }, async () => (await bus.publish('ticket.created', ticketData())).id),
    );
    const othersDone = gate();
    const handled: string[] = [];
    await bus.listen({
      subject: 'ticket.created',
      durable: 'test-slow-entity',
      orderingKey: (event) => event.data.id,
      handle: async (event) => {
        // The slow event finishes only once every other one is handled: in turn, none of them would be.
        if (event.id === slow.id) await othersDone.opened;
        handled.push(event.id);
        if (others.every((id) => handled.includes(id))) othersDone.open();
      },
    });
    await waitFor(() => expect(handled).toHaveLength(6));
    expect(handled.at(-1)).toBe(slow.id);
  });

  it('when it names no ordering key, then it handles one event at a time, in order', async () => {
    const ids: string[] = [];
    for (let index = 0; index < 6; index += 1) ids.push((await bus.publish('ticket.created', ticketData())).id);
    let inFlight = 0;
    let mostInFlight = 0;
    const handled: string[] = [];
    await bus.listen({
      subject: 'ticket.created',
      durable: 'test-one-at-a-time',
      handle: async (event) => {
        inFlight += 1;
        mostInFlight = Math.max(mostInFlight, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight -= 1;
        handled.push(event.id);
      },
    });
    await waitFor(() => expect(handled).toEqual(ids));
    expect(mostInFlight).toBe(1);
  });

  it('when a malformed event arrives among good ones, then it is dead-lettered and the good ones are handled', async () => {
    const durable = 'test-concurrent-malformed';
    const dead = collectDeadLetters(bus, durable);
    const good = await bus.publish('ticket.created', ticketData());
    await publishRaw(bus, 'ticket.created', '{not json');
    const after = await bus.publish('ticket.created', ticketData());
    const handled: string[] = [];
    await bus.listen({
      subject: 'ticket.created',
      durable,
      orderingKey: (event) => event.data.id,
      handle: async (event) => void handled.push(event.id),
    });
    await waitFor(() => expect(new Set(handled)).toEqual(new Set([good.id, after.id])));
    await waitFor(() => expect(dead.received).toHaveLength(1));
    expect(dead.received[0]).toMatchObject({ durable, kind: 'malformed', payload: '{not json' });
    dead.stop();
  });

  it('when it stops, then it settles the events in hand before resolving', async () => {
    for (let index = 0; index < 3; index += 1) await bus.publish('ticket.created', ticketData());
    const release = gate();
    let started = 0;
    const handled: string[] = [];
    const listener = await bus.listen({
      subject: 'ticket.created',
      durable: 'test-stop-in-hand',
      orderingKey: (event) => event.data.id,
      handle: async (event) => {
        started += 1;
        await release.opened;
        handled.push(event.id);
      },
    });
    await waitFor(() => expect(started).toBe(3));
    const stopped = listener.stop();
    release.open();
    await stopped;
    expect(handled).toHaveLength(3);
    // Acks are sent without waiting for the server's word; it takes them in a moment.
    await waitFor(async () => {
      const consumer = await bus.manager.consumers.info(bus.options.stream, 'test-stop-in-hand');
      expect(consumer.num_ack_pending).toBe(0);
    });
  });
});
