import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import {
  collectDeadLetters,
  createTestBus,
  publishRaw,
  recordEvents,
  waitFor,
  type TestBus,
} from '@ticketing/common/testing';
import { orderExpiredEventId } from '../src/expiration/event-ids';
import { orderCancelledListener } from '../src/events/order-cancelled-listener';
import { orderCreatedListener } from '../src/events/order-created-listener';
import { cancelExpiry } from '../src/expiration/cancel-expiry';
import { scheduleExpiry } from '../src/expiration/schedule-expiry';
import {
  buildOrderCancelled,
  buildOrderCreated,
  envelopeOf,
  handlerContext,
  inMs,
  redisUrl,
  startExpirationInstance,
  uniqueQueueName,
  type ExpirationInstance,
} from './helpers';

let bus: TestBus;
let expiration: ExpirationInstance;
let expired: Awaited<ReturnType<typeof recordEvents<'order.expired'>>>;

beforeAll(async () => {
  bus = await createTestBus();
  expiration = await startExpirationInstance({ bus, queueName: uniqueQueueName() });
  expired = await recordEvents(bus, 'order.expired');
});
afterAll(async () => {
  await expired.stop();
  await expiration.destroy();
  await bus.destroy();
});

/** The order.expired events recorded so far for one order. */
const expiredEventsOf = (orderId: string) => expired.events.filter((event) => event.data.orderId === orderId);

/** Waits until the order's timer has run and its job completed; returns the job. */
async function waitUntilCompleted(orderId: string) {
  return waitFor(async () => {
    const job = await expiration.queue.getJob(orderId);
    expect(await job?.getState()).toBe('completed');
    // Read again once completed: the read above may predate the completion (seen under a loaded machine:
    // state completed, attemptsMade still 0 in the copy read a moment before).
    return (await expiration.queue.getJob(orderId))!;
  });
}

describe('order.created → a timer → order.expired', () => {
  it('when an order is created, then order.expired {orderId} is published once expiresAt has passed, with the id derived from the order', async () => {
    const order = buildOrderCreated({ expiresAt: inMs(1_000) });
    await bus.publish('order.created', order);

    const [event] = await waitFor(() => {
      expect(expiredEventsOf(order.id)).toHaveLength(1);
      return expiredEventsOf(order.id);
    });
    expect(event?.data).toEqual({ orderId: order.id });
    expect(event?.id).toBe(orderExpiredEventId(order.id));
    // Not before its time: the event is stamped when it is published.
    expect(Date.parse(event!.occurredAt)).toBeGreaterThanOrEqual(Date.parse(order.expiresAt) - 50);
    const job = await waitUntilCompleted(order.id);
    expect(job.attemptsMade).toBe(1);
  });

  it('when the order has already expired by the time order.created arrives, then the timer fires at once', async () => {
    const order = buildOrderCreated({ expiresAt: inMs(-60_000) });
    await bus.publish('order.created', order);

    await waitFor(() => expect(expiredEventsOf(order.id)).toHaveLength(1));
    const job = await waitUntilCompleted(order.id);
    expect(job.delay).toBe(0);
  });

  it('when the same order.created is handled twice, then there is one job and one order.expired', async () => {
    const order = buildOrderCreated({ expiresAt: inMs(1_000) });
    const envelope = envelopeOf('order.created', order);
    const listener = orderCreatedListener(expiration.queue);

    await listener.handle(envelope, handlerContext());
    await listener.handle(envelope, handlerContext());

    const jobs = await expiration.queue.getJobs(['delayed', 'wait', 'active', 'completed', 'failed']);
    expect(jobs.filter((job) => job.data.orderId === order.id)).toHaveLength(1);
    await waitUntilCompleted(order.id);
    await waitFor(() => expect(expiredEventsOf(order.id)).toHaveLength(1));
  });

  it('when orders publishes the same order.created twice with different event ids, then one job is scheduled', async () => {
    const order = buildOrderCreated({ expiresAt: inMs(60_000) });
    await bus.publish('order.created', order);
    await bus.publish('order.created', order);

    // Both deliveries are acked once handled: nothing pending on the durable means both were processed.
    await waitFor(async () => {
      const consumer = await bus.manager.consumers.info(bus.options.stream, 'expiration-order-created');
      expect(consumer.num_pending + consumer.num_ack_pending).toBe(0);
    });
    const jobs = await expiration.queue.getJobs(['delayed', 'wait', 'active', 'completed', 'failed']);
    const scheduled = jobs.filter((job) => job.data.orderId === order.id);
    expect(scheduled).toHaveLength(1);
    expect(await scheduled[0]?.getState()).toBe('delayed');
  });

  it('when order.created is redelivered after the timer fired, then nothing is scheduled again', async () => {
    const order = buildOrderCreated({ expiresAt: inMs(-1_000) });
    const envelope = envelopeOf('order.created', order);
    const listener = orderCreatedListener(expiration.queue);
    await listener.handle(envelope, handlerContext());
    const first = await waitUntilCompleted(order.id);

    await listener.handle(envelope, handlerContext());

    const again = await expiration.queue.getJob(order.id);
    expect(await again?.getState()).toBe('completed');
    expect(again?.finishedOn).toBe(first.finishedOn);
    expect(again?.attemptsMade).toBe(1);
  });
});

describe('many timers due at once', () => {
  it('when several timers are due together, then the worker publishes them side by side, not one after another', async () => {
    const ownBus = await createTestBus();
    const due = 5;
    let inFlight = 0;
    let allInFlight!: () => void;
    const allStarted = new Promise<void>((resolve) => (allInFlight = resolve));
    // Each publish waits until every timer's publish has started: one at a time, the first would wait forever.
    const publisher = {
      publish: (async (...args: Parameters<TestBus['publish']>) => {
        inFlight += 1;
        if (inFlight === due) allInFlight();
        await allStarted;
        return ownBus.publish(...args);
      }) as TestBus['publish'],
    };
    const instance = await startExpirationInstance({ bus: ownBus, queueName: uniqueQueueName(), publisher });
    const published = await recordEvents(ownBus, 'order.expired');
    try {
      const orders = Array.from({ length: due }, () => buildOrderCreated({ expiresAt: inMs(0) }));
      await Promise.all(
        orders.map((order) => scheduleExpiry(instance.queue, { orderId: order.id, expiresAt: order.expiresAt })),
      );
      await waitFor(() => expect(published.events).toHaveLength(due));
      expect(new Set(published.events.map((event) => event.data.orderId))).toEqual(
        new Set(orders.map((order) => order.id)),
      );
    } finally {
      allInFlight(); // lets a publish still held go, so that the worker can stop
      await published.stop();
      await instance.destroy();
      await ownBus.destroy();
    }
  });
});

describe('order.cancelled → the timer is removed', () => {
  it('when an order is cancelled before it expires, then its job is removed and no order.expired is published', async () => {
    const order = buildOrderCreated({ expiresAt: inMs(1_000) });
    await bus.publish('order.created', order);
    await waitFor(async () => expect(await (await expiration.queue.getJob(order.id))?.getState()).toBe('delayed'));

    await bus.publish('order.cancelled', buildOrderCancelled(order));
    await waitFor(async () => expect(await expiration.queue.getJob(order.id)).toBeUndefined());

    // A later timer as a barrier: once it has fired, the cancelled order's time has long passed.
    const later = buildOrderCreated({ expiresAt: new Date(Date.parse(order.expiresAt) + 500).toISOString() });
    await bus.publish('order.created', later);
    await waitFor(() => expect(expiredEventsOf(later.id)).toHaveLength(1));
    expect(expiredEventsOf(order.id)).toEqual([]);
    expect(await expiration.queue.getJob(order.id)).toBeUndefined();
  });

  it('when order.cancelled arrives for an order whose timer already fired, or that has none, then it succeeds and changes nothing', async () => {
    const fired = buildOrderCreated({ expiresAt: inMs(-1_000) });
    await bus.publish('order.created', fired);
    const job = await waitUntilCompleted(fired.id);
    const listener = orderCancelledListener(expiration.queue);

    await expect(
      listener.handle(envelopeOf('order.cancelled', buildOrderCancelled(fired)), handlerContext()),
    ).resolves.toBeUndefined();
    await expect(
      listener.handle(envelopeOf('order.cancelled', buildOrderCancelled(buildOrderCreated())), handlerContext()),
    ).resolves.toBeUndefined();

    // The finished job stays: its id remains taken, so a late order.created redelivery schedules nothing.
    expect((await expiration.queue.getJob(fired.id))?.finishedOn).toBe(job.finishedOn);
    await expect(cancelExpiry(expiration.queue, fired.id)).resolves.toBe('finished');
    await expect(cancelExpiry(expiration.queue, randomUUID())).resolves.toBe('absent');
    expect(expiredEventsOf(fired.id)).toHaveLength(1);
  });

  /**
   * The commands Redis runs that name `orderId` while `work` runs, from any client (MONITOR), a script's own
   * commands aside ("lua": one round trip is the script's call).
   */
  async function redisCommandsNaming(orderId: string, work: () => Promise<unknown>): Promise<string[][]> {
    const watcher = new Redis(redisUrl());
    const other = new Redis(redisUrl());
    try {
      const monitor = await watcher.monitor();
      const commands: string[][] = [];
      monitor.on('monitor', (_time: string, args: string[], source: string) => {
        if (source !== 'lua' && args.some((arg) => arg.includes(orderId))) commands.push(args);
      });
      await work();
      // Redis runs one command at a time, in order: one sent once the work is done shows it has all been seen.
      await other.ping(`done ${orderId}`);
      await waitFor(() => expect(commands.at(-1)).toEqual(['ping', `done ${orderId}`]));
      monitor.disconnect();
      return commands.slice(0, -1);
    } finally {
      watcher.disconnect();
      other.disconnect();
    }
  }

  it('when order.cancelled arrives for an order whose timer already ran, then Redis is asked one thing: its state', async () => {
    const fired = buildOrderCreated({ expiresAt: inMs(-1_000) });
    await bus.publish('order.created', fired);
    await waitUntilCompleted(fired.id);
    const commands = await redisCommandsNaming(fired.id, () =>
      expect(cancelExpiry(expiration.queue, fired.id)).resolves.toBe('finished'),
    );
    expect(commands.map((args) => args[0]?.toLowerCase())).toEqual(['evalsha']);
  });

  it('when order.cancelled says the order expired, then Redis is asked nothing, and its finished timer stays', async () => {
    const fired = buildOrderCreated({ expiresAt: inMs(-1_000) });
    await bus.publish('order.created', fired);
    const job = await waitUntilCompleted(fired.id);
    const commands = await redisCommandsNaming(fired.id, () =>
      orderCancelledListener(expiration.queue).handle(
        envelopeOf('order.cancelled', { ...buildOrderCancelled(fired), reason: 'expired' }),
        handlerContext(),
      ),
    );
    expect(commands).toEqual([]);
    expect((await expiration.queue.getJob(fired.id))?.finishedOn).toBe(job.finishedOn);
  });

  it('when order.cancelled says its buyer cancelled it, then its pending timer is removed', async () => {
    const order = buildOrderCreated({ expiresAt: inMs(60_000) });
    await orderCreatedListener(expiration.queue).handle(envelopeOf('order.created', order), handlerContext());
    await orderCancelledListener(expiration.queue).handle(
      envelopeOf('order.cancelled', { ...buildOrderCancelled(order), reason: 'buyer' }),
      handlerContext(),
    );
    expect(await expiration.queue.getJob(order.id)).toBeUndefined();
  });

  it('when the same order.cancelled is handled twice, then the second finds nothing to remove and succeeds', async () => {
    const order = buildOrderCreated({ expiresAt: inMs(60_000) });
    await orderCreatedListener(expiration.queue).handle(envelopeOf('order.created', order), handlerContext());
    const envelope = envelopeOf('order.cancelled', buildOrderCancelled(order));
    const listener = orderCancelledListener(expiration.queue);

    await listener.handle(envelope, handlerContext());
    expect(await expiration.queue.getJob(order.id)).toBeUndefined();
    await expect(listener.handle(envelope, handlerContext())).resolves.toBeUndefined();
    await expect(cancelExpiry(expiration.queue, order.id)).resolves.toBe('absent');
  });
});

describe('malformed events', () => {
  /** Publishes an envelope whose payload fails the catalog schema, as raw bytes (bus.publish would refuse it). */
  const publishMalformed = (subject: 'order.created' | 'order.cancelled', data: unknown) =>
    publishRaw(bus, subject, JSON.stringify({ id: randomUUID(), subject, occurredAt: new Date().toISOString(), data }));

  async function expectTerminated(durable: string, dead: ReturnType<typeof collectDeadLetters>) {
    await waitFor(() => expect(dead.received).toHaveLength(1));
    expect(dead.received[0]).toMatchObject({ durable, deliveryCount: 1 });
    const consumer = await bus.manager.consumers.info(bus.options.stream, durable);
    expect(consumer.num_ack_pending).toBe(0);
    expect(consumer.num_redelivered).toBe(0);
  }

  it('when order.created has an invalid expiresAt, then it is terminated and no job is scheduled', async () => {
    const dead = collectDeadLetters(bus, 'expiration-order-created');
    const order = buildOrderCreated();
    try {
      await publishMalformed('order.created', { ...order, expiresAt: 'in fifteen minutes' });
      await expectTerminated('expiration-order-created', dead);
      expect(await expiration.queue.getJob(order.id)).toBeUndefined();
    } finally {
      dead.stop();
    }
  });

  it('when order.cancelled is malformed, then it is terminated and the timer stays', async () => {
    const order = buildOrderCreated({ expiresAt: inMs(60_000) });
    await orderCreatedListener(expiration.queue).handle(envelopeOf('order.created', order), handlerContext());
    const dead = collectDeadLetters(bus, 'expiration-order-cancelled');
    try {
      await publishMalformed('order.cancelled', { id: order.id, version: 'one' });
      await expectTerminated('expiration-order-cancelled', dead);
      expect(await (await expiration.queue.getJob(order.id))?.getState()).toBe('delayed');
    } finally {
      dead.stop();
    }
  });
});
