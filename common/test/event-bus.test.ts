import { randomUUID } from 'node:crypto';
import { EventBus, RetryLaterError, type EventEnvelope } from '../src';
import {
  collectDeadLetters,
  createTestBus,
  createTestLogger,
  natsUrl,
  publishRaw,
  waitFor,
  type TestBus,
} from '../src/testing';

const ticketData = () => ({
  id: randomUUID(),
  title: 'Concert',
  price: 2000,
  userId: randomUUID(),
  orderId: null,
  version: 0,
});

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

  it('when a handler keeps failing, then after the bounded deliveries the event goes to the dead-letter subject', async () => {
    const dead = collectDeadLetters(bus, 'test-poison');
    let attempts = 0;
    await bus.listen({
      subject: 'ticket.created',
      durable: 'test-poison',
      maxDeliveries: 3,
      handle: async () => {
        attempts += 1;
        throw new Error('always broken');
      },
    });
    const published = await bus.publish('ticket.created', ticketData());
    await waitFor(() => expect(dead.received).toHaveLength(1), { timeoutMs: 15_000 });
    expect(attempts).toBe(3);
    expect(dead.received[0]).toMatchObject({ durable: 'test-poison', reason: 'always broken', deliveryCount: 3 });
    expect(JSON.parse(String(dead.received[0]?.payload)).id).toBe(published.id);
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(attempts).toBe(3);
    dead.stop();
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
