import { randomUUID } from 'node:crypto';
import type { EventData, Subject } from '@ticketing/common/events';
import { collectDeadLetters, createTestLogger, publishRaw, waitFor } from '@ticketing/common/testing';
import { orderCreatedListener } from '../src/events/order-created-listener';
import { userCreatedListener } from '../src/events/user-created-listener';
import { envelope, findCustomerRow, findOrderRow, usePayments, wasProcessed } from './helpers';

const payments = usePayments({ bus: true });

function orderCreated(overrides: Partial<EventData<'order.created'>> = {}): EventData<'order.created'> {
  return {
    id: randomUUID(),
    userId: randomUUID(),
    status: 'created',
    expiresAt: new Date(Date.now() + 15 * 60_000).toISOString(),
    ticket: { id: randomUUID(), price: 1500 },
    version: 0,
    ...overrides,
  };
}

function user(overrides: Partial<EventData<'user.created'>> = {}): EventData<'user.created'> {
  return { id: randomUUID(), email: `${randomUUID()}@example.com`, version: 0, ...overrides };
}

/** Publishes and waits until the listener `durable` has committed its handling of that event. */
async function publishAndWaitProcessed<S extends Subject>(durable: string, subject: S, data: EventData<S>) {
  const published = await payments.bus!.publish(subject, data);
  await waitFor(() => wasProcessed(payments.database, durable, published.id));
}

/** Waits until `durable` has put at least one early event back for later. */
async function waitForRetry(durable: string) {
  await waitFor(async () => {
    const consumer = await payments.bus!.manager.consumers.info(payments.bus!.options.stream, durable);
    expect(consumer.num_redelivered).toBeGreaterThanOrEqual(1);
  });
}

const context = { deliveryCount: 1, logger: createTestLogger() };

describe('order.created', () => {
  it('when an order is created, then the replica holds its buyer, price in cents and version 0', async () => {
    const order = orderCreated({ ticket: { id: randomUUID(), price: 12_345 } });
    await payments.bus!.publish('order.created', order);
    await waitFor(async () =>
      expect(await findOrderRow(payments.database, order.id)).toEqual({
        id: order.id,
        userId: order.userId,
        status: 'created',
        price: 12_345,
        version: 0,
        startsAt: null,
        // Tracing is off in these tests: no trace to continue when the order is paid.
        traceContext: null,
      }),
    );
  });

  it('when the order’s event has a start, then the replica keeps it (no payment is taken from then on)', async () => {
    const order = orderCreated({ ticket: { id: randomUUID(), price: 1500, startsAt: '2031-06-12T20:00:00+02:00' } });
    await publishAndWaitProcessed('payments-order-created', 'order.created', order);
    expect(await findOrderRow(payments.database, order.id)).toMatchObject({
      startsAt: new Date('2031-06-12T18:00:00Z'),
    });
  });

  it('when the same event is handled twice, then the replica is written once', async () => {
    const order = orderCreated();
    const listener = orderCreatedListener(payments.unitOfWork, payments.stripe, payments.orderReplicaChanges);
    const event = envelope('order.created', order);
    await listener.handle(event, context);
    await payments.database.pool.query('UPDATE orders SET price = 1 WHERE id = $1', [order.id]);
    await listener.handle(event, { ...context, deliveryCount: 2 });
    expect(await findOrderRow(payments.database, order.id)).toMatchObject({ price: 1, version: 0 });
  });

  it('when order.created comes again under a new event id, then the replica keeps what it has', async () => {
    const order = orderCreated({ ticket: { id: randomUUID(), price: 1000 } });
    await publishAndWaitProcessed('payments-order-created', 'order.created', order);
    await publishAndWaitProcessed('payments-order-created', 'order.created', {
      ...order,
      ticket: { id: order.ticket.id, price: 9999 },
    });
    expect(await findOrderRow(payments.database, order.id)).toMatchObject({ price: 1000, version: 0 });
  });
});

describe('order.cancelled', () => {
  it('when the cancellation (v1) arrives before the order (v0), then it is applied once the order arrives', async () => {
    const order = orderCreated();
    await payments.bus!.publish('order.cancelled', { id: order.id, ticket: { id: order.ticket.id }, version: 1 });
    await waitForRetry('payments-order-cancelled');
    expect(await findOrderRow(payments.database, order.id)).toBeUndefined();

    await payments.bus!.publish('order.created', order);
    await waitFor(async () =>
      expect(await findOrderRow(payments.database, order.id)).toMatchObject({ status: 'cancelled', version: 1 }),
    );
  });
});

describe('user.created / user.updated', () => {
  it('when a user signs up, then the customer holds the email at version 0', async () => {
    const created = user();
    await payments.bus!.publish('user.created', created);
    await waitFor(async () => expect(await findCustomerRow(payments.database, created.id)).toEqual(created));
  });

  it('when the update (v1) arrives before the sign-up (v0), then it is applied after it', async () => {
    const created = user();
    const updated = { ...created, email: `renamed-${created.email}`, version: 1 };
    await payments.bus!.publish('user.updated', updated);
    await waitForRetry('payments-user-updated');
    expect(await findCustomerRow(payments.database, created.id)).toBeUndefined();

    await payments.bus!.publish('user.created', created);
    await waitFor(async () => expect(await findCustomerRow(payments.database, created.id)).toEqual(updated));
  });

  it('when an update already applied arrives again, then it changes nothing', async () => {
    const created = user();
    await publishAndWaitProcessed('payments-user-created', 'user.created', created);
    await publishAndWaitProcessed('payments-user-updated', 'user.updated', {
      ...created,
      email: 'v1@example.com',
      version: 1,
    });
    await publishAndWaitProcessed('payments-user-updated', 'user.updated', {
      ...created,
      email: 'stale@example.com',
      version: 1,
    });
    expect(await findCustomerRow(payments.database, created.id)).toMatchObject({ email: 'v1@example.com', version: 1 });
  });

  it('when the same user.created event is handled twice, then the customer is written once', async () => {
    const created = user();
    const listener = userCreatedListener(payments.unitOfWork);
    const event = envelope('user.created', created);
    await listener.handle(event, context);
    await payments.database.pool.query('UPDATE customers SET email = $2 WHERE id = $1', [created.id, 'kept@x.io']);
    await listener.handle(event, { ...context, deliveryCount: 2 });
    expect(await findCustomerRow(payments.database, created.id)).toMatchObject({ email: 'kept@x.io', version: 0 });
  });
});

/** A valid event for `subject`'s listener, handled to the end: proof that the consumer moved on. */
async function handleValidEvent(subject: Subject) {
  const order = orderCreated();
  const customer = user();
  switch (subject) {
    case 'order.created':
      return publishAndWaitProcessed('payments-order-created', 'order.created', order);
    case 'order.cancelled':
      await publishAndWaitProcessed('payments-order-created', 'order.created', order);
      return publishAndWaitProcessed('payments-order-cancelled', 'order.cancelled', {
        id: order.id,
        ticket: { id: order.ticket.id },
        version: 1,
      });
    case 'order.restated':
      return publishAndWaitProcessed('payments-order-restated', 'order.restated', order);
    case 'user.created':
      return publishAndWaitProcessed('payments-user-created', 'user.created', customer);
    default:
      await publishAndWaitProcessed('payments-user-created', 'user.created', customer);
      return publishAndWaitProcessed('payments-user-updated', 'user.updated', { ...customer, version: 1 });
  }
}

describe('malformed payloads', () => {
  it.each([
    ['order.created', 'payments-order-created', { id: 'not-a-uuid', version: 0 }],
    ['order.cancelled', 'payments-order-cancelled', { id: randomUUID(), version: -1 }],
    ['order.restated', 'payments-order-restated', { ...orderCreated(), ticket: { id: randomUUID(), price: 0 } }],
    ['user.created', 'payments-user-created', { id: randomUUID(), email: 'not an email', version: 0 }],
    ['user.updated', 'payments-user-updated', { id: randomUUID(), version: 1 }],
  ] as const)(
    'when %s carries a payload that fails its schema, then it is terminated at once and never redelivered',
    async (subject, durable, data) => {
      const bus = payments.bus!;
      const before = await bus.manager.consumers.info(bus.options.stream, durable);
      const dead = collectDeadLetters(bus, durable);
      const raw = JSON.stringify({ id: randomUUID(), subject, occurredAt: new Date().toISOString(), data });
      await publishRaw(bus, subject, raw);

      await waitFor(() => expect(dead.received).toHaveLength(1));
      expect(dead.received[0]).toMatchObject({ durable, payload: raw, deliveryCount: 1 });
      await handleValidEvent(subject);
      const after = await bus.manager.consumers.info(bus.options.stream, durable);
      expect(after.num_redelivered).toBe(before.num_redelivered);
      expect(after.num_ack_pending).toBe(0);
      dead.stop();
    },
  );
});
