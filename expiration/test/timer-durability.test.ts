import type { EventEnvelope } from '@ticketing/common/events';
import { createTestBus, createTestLogger, recordEvents, waitFor, type TestBus } from '@ticketing/common/testing';
import { orderExpiredEventId } from '../src/expiration/event-ids';
import { cancelExpiry } from '../src/expiration/cancel-expiry';
import type { EventPublisher } from '../src/expiration/expire-order';
import { createExpirationQueue } from '../src/queue/expiration-queue';
import { closeRedis, connectRedis } from '../src/queue/redis';
import { buildOrderCreated, inMs, redisUrl, startExpirationInstance, uniqueQueueName } from './helpers';

let bus: TestBus;
// A restart waits out a 3 s timer. Run through the root config, Jest ignores the preset's per-project
// testTimeout (it reads that option from the global config only) and would allow 5 s.
jest.setTimeout(30_000);

beforeAll(async () => {
  bus = await createTestBus();
});
afterAll(() => bus.destroy());

/** The recorded order.expired events of one order (a recorder sees every event of the file's stream). */
const eventsFor = (events: EventEnvelope<'order.expired'>[], orderId: string) =>
  events.filter((event) => event.data.orderId === orderId);

/** A queue handle of the test's own on `queueName`, to look at jobs while no instance runs; obliterates it after. */
async function inspectQueue(queueName: string) {
  const redis = await connectRedis({
    url: redisUrl(),
    connectionName: 'inspector',
    logger: createTestLogger(),
    forWorker: false,
  });
  const queue = createExpirationQueue(queueName, redis);
  return {
    queue,
    async destroy() {
      await queue.obliterate({ force: true });
      await queue.close();
      await closeRedis(redis);
    },
  };
}

/** A publisher that holds every publish until `release()`: a timer caught in the middle of its work. */
function heldPublisher() {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let publishing = false;
  const publisher: EventPublisher = {
    publish: async (subject, data, options) => {
      publishing = true;
      await released;
      return bus.publish(subject, data, options);
    },
  };
  return { publisher, isPublishing: () => publishing, release };
}

describe('timers survive restarts and failures', () => {
  it('when the service restarts before a timer fires, then the new instance publishes order.expired once', async () => {
    const queueName = uniqueQueueName();
    const inspector = await inspectQueue(queueName);
    const expired = await recordEvents(bus, 'order.expired');
    try {
      const first = await startExpirationInstance({ bus, queueName });
      const order = buildOrderCreated({ expiresAt: inMs(3_000) });
      await bus.publish('order.created', order);
      await waitFor(async () => expect(await (await inspector.queue.getJob(order.id))?.getState()).toBe('delayed'));

      await first.stop();
      // Stopped before its time: the timer is still pending in Redis and nothing was published.
      expect(await (await inspector.queue.getJob(order.id))?.getState()).toBe('delayed');
      expect(eventsFor(expired.events, order.id)).toEqual([]);

      const second = await startExpirationInstance({ bus, queueName });
      try {
        await waitFor(() => expect(eventsFor(expired.events, order.id)).toHaveLength(1));
        expect(eventsFor(expired.events, order.id)[0]).toMatchObject({
          id: orderExpiredEventId(order.id),
          data: { orderId: order.id },
        });
        await waitFor(async () => expect(await (await inspector.queue.getJob(order.id))?.getState()).toBe('completed'));
        expect((await inspector.queue.getJob(order.id))?.attemptsMade).toBe(1);
      } finally {
        await second.stop();
      }
    } finally {
      await expired.stop();
      await inspector.destroy();
    }
  });

  it('when publishing order.expired fails, then the job is retried with backoff and the event is published once', async () => {
    const queueName = uniqueQueueName();
    const expired = await recordEvents(bus, 'order.expired');
    let calls = 0;
    const failingOnce: EventPublisher = {
      publish: (subject, data, options) => {
        calls += 1;
        if (calls === 1) return Promise.reject(new Error('NATS unreachable'));
        return bus.publish(subject, data, options);
      },
    };
    const expiration = await startExpirationInstance({ bus, queueName, publisher: failingOnce });
    try {
      const order = buildOrderCreated({ expiresAt: inMs(-1_000) });
      await bus.publish('order.created', order);

      await waitFor(async () => expect(await (await expiration.queue.getJob(order.id))?.getState()).toBe('completed'));
      const job = await expiration.queue.getJob(order.id);
      expect(job?.attemptsMade).toBe(2);
      expect(calls).toBe(2);
      await waitFor(() => expect(eventsFor(expired.events, order.id)).toHaveLength(1));
      expect(eventsFor(expired.events, order.id)[0]).toMatchObject({
        id: orderExpiredEventId(order.id),
        data: { orderId: order.id },
      });
    } finally {
      await expired.stop();
      await expiration.destroy();
    }
  });

  it('when a timer runs twice (its first publish reached JetStream but the job did not complete), then JetStream drops the copy', async () => {
    const queueName = uniqueQueueName();
    const expired = await recordEvents(bus, 'order.expired');
    let calls = 0;
    // The publish is stored, but the worker hears of it as a failure: exactly the case a retry must not double.
    const ackLost: EventPublisher = {
      publish: async (subject, data, options) => {
        calls += 1;
        const result = await bus.publish(subject, data, options);
        if (calls === 1) throw new Error('publish ack lost');
        return result;
      },
    };
    const expiration = await startExpirationInstance({ bus, queueName, publisher: ackLost });
    try {
      const order = buildOrderCreated({ expiresAt: inMs(-1_000) });
      await bus.publish('order.created', order);

      await waitFor(async () => expect(await (await expiration.queue.getJob(order.id))?.getState()).toBe('completed'));
      expect(calls).toBe(2);
      // A sentinel published after the retry: once it is recorded, any copy before it would be too.
      const sentinel = await bus.publish('order.expired', { orderId: buildOrderCreated().id });
      await waitFor(() => expect(expired.events.map((event) => event.id)).toContain(sentinel.id));
      expect(eventsFor(expired.events, order.id)).toHaveLength(1);
    } finally {
      await expired.stop();
      await expiration.destroy();
    }
  });

  it('when order.cancelled arrives while the timer is publishing, then the timer is left to finish', async () => {
    const queueName = uniqueQueueName();
    const { publisher: slow, isPublishing, release } = heldPublisher();
    const expiration = await startExpirationInstance({ bus, queueName, publisher: slow });
    try {
      const order = buildOrderCreated({ expiresAt: inMs(-1_000) });
      await bus.publish('order.created', order);
      await waitFor(() => expect(isPublishing()).toBe(true));

      await expect(cancelExpiry(expiration.queue, order.id)).resolves.toBe('running');
      release();

      await waitFor(async () => expect(await (await expiration.queue.getJob(order.id))?.getState()).toBe('completed'));
    } finally {
      release();
      await expiration.destroy();
    }
  });

  it('when the service shuts down while a timer is publishing, then shutdown waits for it to complete', async () => {
    const queueName = uniqueQueueName();
    const inspector = await inspectQueue(queueName);
    const { publisher: slow, isPublishing, release } = heldPublisher();
    const expiration = await startExpirationInstance({ bus, queueName, publisher: slow });
    try {
      const order = buildOrderCreated({ expiresAt: inMs(-1_000) });
      await bus.publish('order.created', order);
      await waitFor(() => expect(isPublishing()).toBe(true));

      const stopping = expiration.stop();
      // The worker is closing with the job in hand; only then may the publish go through.
      await waitFor(() => expect(expiration.worker.closing).toBeTruthy());
      release();
      await stopping;

      expect(await (await inspector.queue.getJob(order.id))?.getState()).toBe('completed');
    } finally {
      release();
      await inspector.destroy();
    }
  });
});
