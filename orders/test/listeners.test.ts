import { randomUUID } from 'node:crypto';
import { UnitOfWork } from '@ticketing/common/outbox';
import { startListeners, type RunningListeners } from '@ticketing/common/bus';
import { type EventData, type EventEnvelope, type Subject } from '@ticketing/common/events';
import {
  collectDeadLetters,
  createTestBus,
  createTestLogger,
  publishRaw,
  waitFor,
  type TestBus,
} from '@ticketing/common/testing';
import { ordersListeners } from '../src/events';
import { chargeCreatedListener } from '../src/events/charge-created-listener';
import { orderExpiredListener } from '../src/events/order-expired-listener';
import { cancelOrder } from '../src/orders/cancel-order';
import { completeOrder } from '../src/orders/complete-order';
import { createOrder } from '../src/orders/create-order';
import {
  TEST_TERMS,
  cancellationsOf,
  recordedPayloads,
  createOrdersTestDatabase,
  findOrderRow,
  findTicketRow,
  newReservationMemory,
  seedTicket,
  wasProcessed,
  type OrdersTestDatabase,
} from './helpers';

let database: OrdersTestDatabase;
let bus: TestBus;
let unitOfWork: UnitOfWork;
let listeners: RunningListeners;
/** This file's process: the listeners and the direct calls share one reservation memory, as in the service. */
const memory = newReservationMemory();

beforeAll(async () => {
  database = await createOrdersTestDatabase();
  bus = await createTestBus();
  unitOfWork = new UnitOfWork(database.db, { logger: createTestLogger() });
  listeners = await startListeners(bus, ordersListeners(unitOfWork, TEST_TERMS, memory));
});
afterAll(async () => {
  await listeners.stop();
  await bus.destroy();
  await database.drop();
});

function ticketEvent(overrides: Partial<EventData<'ticket.created'>> = {}): EventData<'ticket.created'> {
  return {
    id: randomUUID(),
    title: 'Concert',
    price: 2000,
    userId: randomUUID(),
    orderId: null,
    version: 0,
    ...overrides,
  };
}

function chargeEvent(orderId: string, status: 'completed' | 'failed'): EventData<'charge.created'> {
  return { id: randomUUID(), orderId, status, amount: 2000, stripeId: `pi_${randomUUID().slice(0, 8)}` };
}

function envelope<S extends Subject>(subject: S, data: EventData<S>): EventEnvelope<S> {
  return { id: randomUUID(), subject, occurredAt: new Date().toISOString(), data };
}

/** An order in status `created` on a fresh ticket. */
async function placeOrder() {
  const ticket = await seedTicket(database);
  return createOrder(unitOfWork, memory, randomUUID(), ticket.id, { expiresInSeconds: 900 });
}

/** Publishes and waits until the listener with `durable` has committed its handling of that event. */
async function publishAndWaitProcessed<S extends Subject>(durable: string, subject: S, data: EventData<S>) {
  const published = await bus.publish(subject, data);
  await waitFor(() => wasProcessed(database, durable, published.id));
}

describe('ticket.created', () => {
  it('when a ticket is created, then the replica holds it and it can be ordered', async () => {
    const ticket = ticketEvent({ title: 'Symphony', price: 4550 });
    await bus.publish('ticket.created', ticket);
    await waitFor(async () =>
      expect(await findTicketRow(database, ticket.id)).toEqual({
        id: ticket.id,
        title: 'Symphony',
        price: 4550,
        userId: ticket.userId,
        withdrawn: false,
        startsAt: null,
        version: 0,
      }),
    );
    const order = await createOrder(unitOfWork, memory, randomUUID(), ticket.id, { expiresInSeconds: 900 });
    expect(order.ticket).toEqual({ id: ticket.id, title: 'Symphony', price: 45.5 });
  });

  it('when a buyer waits for a listing orders has not heard of yet, then the order is placed as soon as ticket.created is applied', async () => {
    const ticket = ticketEvent({ title: 'Just listed', price: 3000 });
    // No poll before the test's timeout: only the listener's wake-up can answer this buyer in time.
    const placing = createOrder(unitOfWork, memory, randomUUID(), ticket.id, {
      expiresInSeconds: 900,
      ticketVersion: 0,
      replicaWaitMs: 60_000,
      replicaPollMs: 60_000,
    });
    await bus.publish('ticket.created', ticket);
    await expect(placing).resolves.toMatchObject({ ticket: { id: ticket.id, title: 'Just listed', price: 30 } });
  });

  it('when a ticket has a start, then the replica keeps it, and once the event has started the ticket cannot be ordered', async () => {
    const startsAt = new Date(Date.now() + 60 * 60_000);
    const ticket = ticketEvent({ venue: 'Olympia', startsAt: startsAt.toISOString().replace('Z', '+00:00') });
    await publishAndWaitProcessed('orders-ticket-events', 'ticket.created', ticket);
    expect(await findTicketRow(database, ticket.id)).toMatchObject({ startsAt });

    const buyer = randomUUID();
    const afterStart = new Date(startsAt.getTime() + 1);
    await expect(
      createOrder(unitOfWork, memory, buyer, ticket.id, { expiresInSeconds: 900, now: afterStart }),
    ).rejects.toMatchObject({ statusCode: 409, message: 'The event has already started' });
    await expect(createOrder(unitOfWork, memory, buyer, ticket.id, { expiresInSeconds: 900 })).resolves.toMatchObject({
      status: 'created',
    });
  });

  it('when a ticket event from before tickets had a start arrives, then the replica holds it without one', async () => {
    const { venue: _venue, startsAt: _startsAt, ...older } = ticketEvent({ title: 'Older' });
    await publishAndWaitProcessed('orders-ticket-events', 'ticket.created', older);
    expect(await findTicketRow(database, older.id)).toMatchObject({ title: 'Older', startsAt: null });
  });

  it('when ticket.created is published again under a new event id, then the replica keeps what it has', async () => {
    const ticket = ticketEvent({ title: 'Original' });
    await publishAndWaitProcessed('orders-ticket-events', 'ticket.created', ticket);
    await publishAndWaitProcessed('orders-ticket-events', 'ticket.created', { ...ticket, title: 'Copy' });
    expect(await findTicketRow(database, ticket.id)).toMatchObject({ title: 'Original', version: 0 });
  });
});

describe('ticket.updated withdrawn (the seller took the ticket off sale)', () => {
  it('when the withdrawal is applied, then a reservation of the ticket answers 409 and no order is placed', async () => {
    const ticket = ticketEvent();
    await publishAndWaitProcessed('orders-ticket-events', 'ticket.created', ticket);
    await publishAndWaitProcessed('orders-ticket-events', 'ticket.updated', { ...ticket, withdrawn: true, version: 1 });
    expect(await findTicketRow(database, ticket.id)).toMatchObject({ withdrawn: true, version: 1 });
    await expect(
      createOrder(unitOfWork, memory, randomUUID(), ticket.id, { expiresInSeconds: 900 }),
    ).rejects.toMatchObject({
      statusCode: 409,
      message: 'The ticket was withdrawn by its seller',
    });
  });

  it('when an unpaid order was placed before the withdrawal arrived, then the withdrawal cancels it and records order.cancelled', async () => {
    const ticket = ticketEvent();
    await publishAndWaitProcessed('orders-ticket-events', 'ticket.created', ticket);
    // Placed here while tickets had already withdrawn the ticket: tickets never locks for it.
    const order = await createOrder(unitOfWork, memory, randomUUID(), ticket.id, { expiresInSeconds: 900 });
    await publishAndWaitProcessed('orders-ticket-events', 'ticket.updated', { ...ticket, withdrawn: true, version: 1 });
    expect(await findOrderRow(database, order.id)).toMatchObject({ status: 'cancelled', version: 1 });
    expect(await cancellationsOf(database, order.id)).toHaveLength(1);
  });

  it('when a complete order holds the ticket, then the withdrawal leaves it complete', async () => {
    const order = await placeOrder();
    await completeOrder(unitOfWork, order.id);
    const replica = await findTicketRow(database, order.ticket.id);
    if (!replica) throw new Error('no replica');
    await publishAndWaitProcessed('orders-ticket-events', 'ticket.updated', {
      ...replica,
      startsAt: replica.startsAt?.toISOString() ?? null,
      orderId: null,
      withdrawn: true,
      version: replica.version + 1,
    });
    expect(await findOrderRow(database, order.id)).toMatchObject({ status: 'complete' });
    expect(await cancellationsOf(database, order.id)).toEqual([]);
  });
});

describe('ticket.updated', () => {
  it('when version 2 arrives before version 1, then it is applied after version 1, ending with version 2', async () => {
    const ticket = ticketEvent({ title: 'v0', price: 1000 });
    await publishAndWaitProcessed('orders-ticket-events', 'ticket.created', ticket);

    await bus.publish('ticket.updated', { ...ticket, title: 'v2', price: 3000, version: 2 });
    // Version 2 has been tried and put back for later, and changed nothing.
    await waitFor(async () => {
      const consumer = await bus.manager.consumers.info(bus.options.stream, 'orders-ticket-events');
      expect(consumer.num_redelivered).toBeGreaterThanOrEqual(1);
    });
    expect(await findTicketRow(database, ticket.id)).toMatchObject({ title: 'v0', price: 1000, version: 0 });

    await bus.publish('ticket.updated', { ...ticket, title: 'v1', price: 2000, version: 1 });
    await waitFor(async () =>
      expect(await findTicketRow(database, ticket.id)).toMatchObject({ title: 'v2', price: 3000, version: 2 }),
    );
  });

  it('when a buyer saw an edit the replica has not applied yet, then the order is placed at the new price as soon as ticket.updated is applied', async () => {
    const ticket = ticketEvent({ price: 50_000 });
    await publishAndWaitProcessed('orders-ticket-events', 'ticket.created', ticket);
    const placing = createOrder(unitOfWork, memory, randomUUID(), ticket.id, {
      expiresInSeconds: 900,
      ticketVersion: 1,
      replicaWaitMs: 60_000,
      replicaPollMs: 60_000,
    });
    await bus.publish('ticket.updated', { ...ticket, price: 1_000, version: 1 });
    await expect(placing).resolves.toMatchObject({ ticket: { id: ticket.id, price: 10 } });
  });

  it('when a ticket is created and edited at once, then one consumer applies both in order, with no retry in between', async () => {
    const ticket = ticketEvent({ title: 'listed', price: 50_000 });
    await bus.publish('ticket.created', ticket);
    await bus.publish('ticket.updated', { ...ticket, title: 'listed', price: 1_000, version: 1 });
    await waitFor(async () =>
      expect(await findTicketRow(database, ticket.id)).toMatchObject({ price: 1_000, version: 1 }),
    );
    const consumer = await bus.manager.consumers.info(bus.options.stream, 'orders-ticket-events');
    // Two consumers used to race here: the update could arrive first and wait out a retry delay.
    expect(consumer.num_redelivered).toBe(0);
  });

  it('when an update arrives before the ticket itself, then it is applied once the ticket is known', async () => {
    const ticket = ticketEvent({ title: 'first' });
    await bus.publish('ticket.updated', { ...ticket, title: 'renamed', price: 2500, version: 1 });
    await bus.publish('ticket.created', ticket);
    await waitFor(async () =>
      expect(await findTicketRow(database, ticket.id)).toMatchObject({ title: 'renamed', price: 2500, version: 1 }),
    );
  });

  it('when an edit moves the start or removes it, then the replica follows', async () => {
    const ticket = ticketEvent({ startsAt: '2031-06-12T20:00:00+02:00' });
    await publishAndWaitProcessed('orders-ticket-events', 'ticket.created', ticket);
    expect(await findTicketRow(database, ticket.id)).toMatchObject({ startsAt: new Date('2031-06-12T18:00:00Z') });

    const moved = { ...ticket, startsAt: '2031-06-13T21:30:00-04:00', version: 1 };
    await publishAndWaitProcessed('orders-ticket-events', 'ticket.updated', moved);
    expect(await findTicketRow(database, ticket.id)).toMatchObject({ startsAt: new Date('2031-06-14T01:30:00Z') });

    await publishAndWaitProcessed('orders-ticket-events', 'ticket.updated', { ...moved, startsAt: null, version: 2 });
    expect(await findTicketRow(database, ticket.id)).toMatchObject({ startsAt: null, version: 2 });
  });

  it('when a version already applied arrives again, then it changes nothing', async () => {
    const ticket = ticketEvent({ title: 'v0' });
    await publishAndWaitProcessed('orders-ticket-events', 'ticket.created', ticket);
    await publishAndWaitProcessed('orders-ticket-events', 'ticket.updated', { ...ticket, title: 'v1', version: 1 });
    await publishAndWaitProcessed('orders-ticket-events', 'ticket.updated', {
      ...ticket,
      title: 'stale copy',
      price: 9999,
      version: 1,
    });
    expect(await findTicketRow(database, ticket.id)).toMatchObject({ title: 'v1', price: 2000, version: 1 });
  });
});

describe('order.expired', () => {
  it('when an unpaid order expires, then it is cancelled and order.cancelled recorded', async () => {
    const order = await placeOrder();
    await bus.publish('order.expired', { orderId: order.id });
    await waitFor(async () =>
      expect(await findOrderRow(database, order.id)).toMatchObject({ status: 'cancelled', version: 1 }),
    );
    expect(await cancellationsOf(database, order.id)).toEqual([
      { id: order.id, ticket: { id: order.ticket.id }, version: 1, reason: 'expired' },
    ]);
  });

  it('when a complete order expires, then it stays complete and nothing is recorded', async () => {
    const order = await placeOrder();
    await completeOrder(unitOfWork, order.id);
    await publishAndWaitProcessed('orders-order-expired', 'order.expired', { orderId: order.id });
    expect(await findOrderRow(database, order.id)).toMatchObject({ status: 'complete', version: 1 });
    expect(await cancellationsOf(database, order.id)).toEqual([]);
  });

  it('when an order the buyer already cancelled expires, then no second order.cancelled is recorded', async () => {
    const order = await placeOrder();
    await cancelOrder(unitOfWork, memory, order.id, TEST_TERMS, 'buyer');
    await publishAndWaitProcessed('orders-order-expired', 'order.expired', { orderId: order.id });
    expect(await findOrderRow(database, order.id)).toMatchObject({ status: 'cancelled', version: 1 });
    expect(await cancellationsOf(database, order.id)).toHaveLength(1);
  });

  it('when the same event is delivered twice, then the order is cancelled once', async () => {
    const order = await placeOrder();
    const listener = orderExpiredListener(unitOfWork, TEST_TERMS, memory);
    const event = envelope('order.expired', { orderId: order.id });
    const context = { deliveryCount: 1, logger: createTestLogger() };
    await listener.handle(event, context);
    await listener.handle(event, { ...context, deliveryCount: 2 });
    expect(await wasProcessed(database, 'orders-order-expired', event.id)).toBe(true);
    expect(await findOrderRow(database, order.id)).toMatchObject({ status: 'cancelled', version: 1 });
    expect(await cancellationsOf(database, order.id)).toHaveLength(1);
  });

  it('when the order is unknown, then the event is acknowledged and nothing is recorded', async () => {
    const orderId = randomUUID();
    await publishAndWaitProcessed('orders-order-expired', 'order.expired', { orderId });
    expect(await cancellationsOf(database, orderId)).toEqual([]);
    expect(await findOrderRow(database, orderId)).toBeUndefined();
  });
});

describe('charge.created', () => {
  it('when the charge completed, then the order is complete and order.completed names the buyer and the price paid', async () => {
    const order = await placeOrder();
    await bus.publish('charge.created', chargeEvent(order.id, 'completed'));
    await waitFor(async () =>
      expect(await findOrderRow(database, order.id)).toMatchObject({ status: 'complete', version: 1 }),
    );
    expect(await cancellationsOf(database, order.id)).toEqual([]);
    expect((await recordedPayloads(database, 'order.completed')).filter((payload) => payload.id === order.id)).toEqual([
      { id: order.id, userId: order.userId, ticket: { id: order.ticket.id, price: 2000 }, version: 1 },
    ]);
  });

  it('when the charge failed, then the order is cancelled and order.cancelled recorded', async () => {
    const order = await placeOrder();
    await bus.publish('charge.created', chargeEvent(order.id, 'failed'));
    await waitFor(async () =>
      expect(await findOrderRow(database, order.id)).toMatchObject({ status: 'cancelled', version: 1 }),
    );
    expect(await cancellationsOf(database, order.id)).toEqual([
      { id: order.id, ticket: { id: order.ticket.id }, version: 1, reason: 'declined' },
    ]);
  });

  it('when a charge completes for an order already cancelled, then the order stays cancelled', async () => {
    const order = await placeOrder();
    await cancelOrder(unitOfWork, memory, order.id, TEST_TERMS, 'buyer');
    await publishAndWaitProcessed('orders-charge-created', 'charge.created', chargeEvent(order.id, 'completed'));
    expect(await findOrderRow(database, order.id)).toMatchObject({ status: 'cancelled', version: 1 });
    expect(await cancellationsOf(database, order.id)).toHaveLength(1);
  });

  it('when a charge fails for an order already complete, then the order stays complete', async () => {
    const order = await placeOrder();
    await completeOrder(unitOfWork, order.id);
    await publishAndWaitProcessed('orders-charge-created', 'charge.created', chargeEvent(order.id, 'failed'));
    expect(await findOrderRow(database, order.id)).toMatchObject({ status: 'complete', version: 1 });
    expect(await cancellationsOf(database, order.id)).toEqual([]);
  });

  it('when the same failed charge is delivered twice, then the order is cancelled once', async () => {
    const order = await placeOrder();
    const listener = chargeCreatedListener(unitOfWork, TEST_TERMS, memory);
    const event = envelope('charge.created', chargeEvent(order.id, 'failed'));
    const context = { deliveryCount: 1, logger: createTestLogger() };
    await listener.handle(event, context);
    await listener.handle(event, { ...context, deliveryCount: 2 });
    expect(await wasProcessed(database, 'orders-charge-created', event.id)).toBe(true);
    expect(await findOrderRow(database, order.id)).toMatchObject({ status: 'cancelled', version: 1 });
    expect(await cancellationsOf(database, order.id)).toHaveLength(1);
  });
});

describe('malformed events', () => {
  /** Publishes bytes as they are on `subject` and waits until the listener has terminated them for good. */
  async function publishRawAndWaitTerminated(subject: Subject, durable: string, raw: string) {
    const deadLetters = collectDeadLetters(bus, durable);
    try {
      await publishRaw(bus, subject, raw);
      await waitFor(() => expect(deadLetters.received).toHaveLength(1));
      expect(deadLetters.received[0]).toMatchObject({ durable, payload: raw, deliveryCount: 1 });
      // Terminated on its first delivery: nothing left pending or waiting to be redelivered.
      await waitFor(async () => {
        const consumer = await bus.manager.consumers.info(bus.options.stream, durable);
        expect(consumer).toMatchObject({ num_pending: 0, num_ack_pending: 0, num_redelivered: 0 });
      });
    } finally {
      deadLetters.stop();
    }
  }

  const rawEnvelope = (subject: Subject, data: unknown, overrides: Record<string, unknown> = {}) =>
    JSON.stringify({ id: randomUUID(), subject, occurredAt: new Date().toISOString(), data, ...overrides });

  it('when ticket.created has a price that is not cents, then it is terminated and no ticket appears', async () => {
    const ticket = ticketEvent();
    await publishRawAndWaitTerminated(
      'ticket.created',
      'orders-ticket-events',
      rawEnvelope('ticket.created', { ...ticket, price: '20.00' }),
    );
    expect(await findTicketRow(database, ticket.id)).toBeUndefined();
  });

  it('when ticket.updated has no title, then it is terminated and the replica is unchanged', async () => {
    const ticket = await seedTicket(database, { title: 'kept' });
    const { title: _title, ...withoutTitle } = ticketEvent({ id: ticket.id, userId: ticket.userId, version: 1 });
    await publishRawAndWaitTerminated(
      'ticket.updated',
      'orders-ticket-events',
      rawEnvelope('ticket.updated', withoutTitle),
    );
    expect(await findTicketRow(database, ticket.id)).toMatchObject({ title: 'kept', version: 0 });
  });

  it('when order.expired is not JSON, or its envelope id is not a UUID, then it is terminated and the order stays', async () => {
    const order = await placeOrder();
    await publishRawAndWaitTerminated('order.expired', 'orders-order-expired', `{"orderId": "${order.id}"`);
    await publishRawAndWaitTerminated(
      'order.expired',
      'orders-order-expired',
      rawEnvelope('order.expired', { orderId: order.id }, { id: 'not-a-uuid' }),
    );
    expect(await findOrderRow(database, order.id)).toMatchObject({ status: 'created', version: 0 });
  });

  it('when charge.created has a negative amount, then it is terminated and the order stays', async () => {
    const order = await placeOrder();
    await publishRawAndWaitTerminated(
      'charge.created',
      'orders-charge-created',
      rawEnvelope('charge.created', { ...chargeEvent(order.id, 'failed'), amount: -100 }),
    );
    expect(await findOrderRow(database, order.id)).toMatchObject({ status: 'created', version: 0 });
    expect(await cancellationsOf(database, order.id)).toEqual([]);
  });
});
