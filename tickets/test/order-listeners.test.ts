import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import request from 'supertest';
import {
  collectDeadLetters,
  createTestBus,
  createTestLogger,
  publishRaw,
  waitFor,
  waitUntilWaitingForLock,
  type TestBus,
} from '@ticketing/common/testing';
import { startListeners, type RunningListeners } from '@ticketing/common/bus';
import { type EventData } from '@ticketing/common/events';
import { processedEvents, releasedOrders } from '../src/db/schema';
import { ticketsListeners } from '../src/events';
import { orderCreatedListener } from '../src/events/order-created-listener';
import type { TicketView } from '../src/tickets/ticket-view';
import { createTicket, recordedFor, signIn, useTicketsApp, handledBy, showTicketWithHolder } from './helpers';

const context = useTicketsApp();
let bus: TestBus;
let listeners: RunningListeners;

beforeAll(async () => {
  bus = await createTestBus();
  listeners = await startListeners(bus, ticketsListeners(context.unitOfWork));
});
afterAll(async () => {
  await listeners.stop();
  await bus.destroy();
});

const orderCreated = (ticket: TicketView, orderId = randomUUID()): EventData<'order.created'> => ({
  id: orderId,
  userId: randomUUID(),
  status: 'created',
  expiresAt: new Date(Date.now() + 15 * 60_000).toISOString(),
  ticket: { id: ticket.id, price: Math.round(ticket.price * 100) },
  version: 0,
});

const orderCancelled = (ticketId: string, orderId: string, handedOverTo?: string): EventData<'order.cancelled'> => ({
  id: orderId,
  ticket: { id: ticketId },
  version: 1,
  ...(handedOverTo && { handedOverTo: { id: handedOverTo } }),
});

const showTicket = (id: string) => showTicketWithHolder(context.app, context.database, id);

/** Resolves once the listener has committed the event, whatever its effect (nothing included). */
const handled = (durable: string, eventId: string) => handledBy(context.database, durable, eventId);

async function lockThroughBus(ticket: TicketView, orderId = randomUUID()) {
  await bus.publish('order.created', orderCreated(ticket, orderId));
  await waitFor(async () => expect(await showTicket(ticket.id)).toMatchObject({ orderId, version: 1 }));
  return orderId;
}

describe('order.created → lock (tickets-order-created)', () => {
  it('when an order is created for a ticket for sale, then the ticket is locked at version 1, ticket.updated is recorded and the list hides it', async () => {
    const { cookie, user } = signIn();
    const ticket = await createTicket(context.app, cookie, { title: 'Rock', price: 20.5 });
    const orderId = randomUUID();
    await bus.publish('order.created', orderCreated(ticket, orderId));

    await waitFor(async () => expect(await showTicket(ticket.id)).toMatchObject({ orderId, version: 1 }));
    expect(await recordedFor(context.database, 'ticket.updated', ticket.id)).toEqual([
      {
        id: ticket.id,
        title: 'Rock',
        price: 2050,
        userId: user.id,
        orderId,
        venue: null,
        startsAt: null,
        timeZone: null,
        version: 1,
      },
    ]);
    const list = await request(context.app).get('/api/tickets?limit=100').expect(200);
    expect(list.body.map((listed: TicketView) => listed.id)).not.toContain(ticket.id);
  });

  it('when the owner edits a ticket locked through an event, then it answers 409', async () => {
    const { cookie } = signIn();
    const ticket = await createTicket(context.app, cookie);
    await lockThroughBus(ticket);
    await request(context.app)
      .put(`/api/tickets/${ticket.id}`)
      .set('Cookie', cookie)
      .send({ title: 'Too late', price: 1 })
      .expect(409, { errors: [{ message: 'Ticket is reserved and cannot be edited' }] });
  });

  it('when the same order.created arrives again under a new event id, then the version moves once', async () => {
    const ticket = await createTicket(context.app);
    const data = orderCreated(ticket);
    await bus.publish('order.created', data);
    const again = await bus.publish('order.created', data);

    await handled('tickets-order-created', again.id);
    expect(await showTicket(ticket.id)).toMatchObject({ orderId: data.id, version: 1 });
    expect(await recordedFor(context.database, 'ticket.updated', ticket.id)).toHaveLength(1);
  });

  it('when one event is delivered twice, then its effect happens once and it is recorded once in the inbox', async () => {
    const ticket = await createTicket(context.app);
    const definition = orderCreatedListener(context.unitOfWork);
    const envelope = {
      id: randomUUID(),
      subject: 'order.created' as const,
      occurredAt: new Date().toISOString(),
      data: orderCreated(ticket),
    };
    const handlerContext = { deliveryCount: 1, logger: createTestLogger() };
    await definition.handle(envelope, handlerContext);
    await definition.handle(envelope, { ...handlerContext, deliveryCount: 2 });

    expect(await showTicket(ticket.id)).toMatchObject({ orderId: envelope.data.id, version: 1 });
    expect(await recordedFor(context.database, 'ticket.updated', ticket.id)).toHaveLength(1);
    const inbox = await context.database.db
      .select()
      .from(processedEvents)
      .where(eq(processedEvents.eventId, envelope.id));
    expect(inbox).toHaveLength(1);
  });

  it('when order.created for order B arrives while order A holds the ticket, then B takes it only after A is cancelled', async () => {
    const ticket = await createTicket(context.app);
    const orderA = await lockThroughBus(ticket);
    const orderB = randomUUID();
    const createdB = await bus.publish('order.created', orderCreated(ticket, orderB));

    // B has been tried and put back at least once while A held the ticket.
    await waitFor(async () => {
      const consumer = await bus.manager.consumers.info(bus.options.stream, 'tickets-order-created');
      expect(consumer.delivered.stream_seq).toBeGreaterThanOrEqual(createdB.sequence);
      expect(consumer.num_redelivered).toBeGreaterThanOrEqual(1);
    });
    expect(await showTicket(ticket.id)).toMatchObject({ orderId: orderA, version: 1 });

    await bus.publish('order.cancelled', orderCancelled(ticket.id, orderA));
    await waitFor(async () => expect(await showTicket(ticket.id)).toMatchObject({ orderId: orderB, version: 3 }));
    expect(
      (await recordedFor(context.database, 'ticket.updated', ticket.id)).map((p) => [p.orderId, p.version]),
    ).toEqual([
      [orderA, 1],
      [null, 2],
      [orderB, 3],
    ]);
  });

  it('when a waiting list hands the ticket over (A’s order.cancelled naming B, and B’s order.created, back to back), then the lock moves from A to B in one step', async () => {
    const ticket = await createTicket(context.app);
    const orderA = await lockThroughBus(ticket);
    const orderB = randomUUID();
    // As the outbox relay of orders publishes one hand-over: both at once, on their two consumers.
    const [cancelledA, createdB] = await Promise.all([
      bus.publish('order.cancelled', orderCancelled(ticket.id, orderA, orderB)),
      bus.publish('order.created', orderCreated(ticket, orderB)),
    ]);
    await handled('tickets-order-cancelled', cancelledA.id);
    await handled('tickets-order-created', createdB.id);

    expect(await showTicket(ticket.id)).toMatchObject({ orderId: orderB, version: 2 });
    expect(
      (await recordedFor(context.database, 'ticket.updated', ticket.id)).map((p) => [p.orderId, p.version]),
    ).toEqual([
      [orderA, 1],
      [orderB, 2],
    ]);
  });
});

describe('a release that hands the ticket on (waiting list)', () => {
  const withdraw = (ticketId: string, cookie: string) =>
    request(context.app).delete(`/api/tickets/${ticketId}`).set('Cookie', cookie);
  const edit = (ticketId: string, cookie: string) =>
    request(context.app).put(`/api/tickets/${ticketId}`).set('Cookie', cookie).send({ title: 'Repriced', price: 99 });

  it('when the release arrives before the new holder’s order.created, then the seller cannot withdraw the ticket in between, and the new holder keeps it', async () => {
    const seller = signIn();
    const ticket = await createTicket(context.app, seller.cookie);
    const orderA = await lockThroughBus(ticket);
    const orderB = randomUUID();
    const cancelledA = await bus.publish('order.cancelled', orderCancelled(ticket.id, orderA, orderB));
    await handled('tickets-order-cancelled', cancelledA.id);

    // The gap: B's order.created is still on its way (its consumer is behind).
    const refused = await withdraw(ticket.id, seller.cookie).expect(409);
    expect(refused.body).toEqual({ errors: [{ message: 'Ticket is reserved and cannot be withdrawn' }] });
    const createdB = await bus.publish('order.created', orderCreated(ticket, orderB));
    await handled('tickets-order-created', createdB.id);

    expect(await showTicket(ticket.id)).toMatchObject({ orderId: orderB, withdrawn: false, version: 2 });
  });

  it('when the release arrives before the new holder’s order.created, then the seller cannot edit the ticket in between (the new holder pays what they saw)', async () => {
    const seller = signIn();
    const ticket = await createTicket(context.app, seller.cookie, { title: 'Jazz', price: 25 });
    const orderA = await lockThroughBus(ticket);
    const orderB = randomUUID();
    const cancelledA = await bus.publish('order.cancelled', orderCancelled(ticket.id, orderA, orderB));
    await handled('tickets-order-cancelled', cancelledA.id);

    await edit(ticket.id, seller.cookie).expect(409, {
      errors: [{ message: 'Ticket is reserved and cannot be edited' }],
    });
    const createdB = await bus.publish('order.created', orderCreated(ticket, orderB));
    await handled('tickets-order-created', createdB.id);

    expect(await showTicket(ticket.id)).toMatchObject({ title: 'Jazz', price: 25, orderId: orderB, version: 2 });
  });

  it('when the new holder’s own release (naming the next one) arrives first, then the lock follows the hand-overs to the order holding the ticket now', async () => {
    const ticket = await createTicket(context.app);
    const orderA = await lockThroughBus(ticket);
    const [orderB, orderC] = [randomUUID(), randomUUID()];
    // B was handed the ticket, cancelled in turn and the ticket handed to C; B's release overtook A's.
    const cancelledB = await bus.publish('order.cancelled', orderCancelled(ticket.id, orderB, orderC));
    await handled('tickets-order-cancelled', cancelledB.id);
    expect(await showTicket(ticket.id)).toMatchObject({ orderId: orderA, version: 1 });
    const cancelledA = await bus.publish('order.cancelled', orderCancelled(ticket.id, orderA, orderB));
    await handled('tickets-order-cancelled', cancelledA.id);
    expect(await showTicket(ticket.id)).toMatchObject({ orderId: orderC, version: 2 });

    const createdB = await bus.publish('order.created', orderCreated(ticket, orderB));
    const createdC = await bus.publish('order.created', orderCreated(ticket, orderC));
    await handled('tickets-order-created', createdB.id);
    await handled('tickets-order-created', createdC.id);
    expect(await showTicket(ticket.id)).toMatchObject({ orderId: orderC, version: 2 });
  });

  it('when the release arrives before the released order’s own order.created, then the ticket is locked for the new holder at once', async () => {
    const ticket = await createTicket(context.app);
    const [orderA, orderB] = [randomUUID(), randomUUID()];
    const cancelledA = await bus.publish('order.cancelled', orderCancelled(ticket.id, orderA, orderB));
    await handled('tickets-order-cancelled', cancelledA.id);
    expect(await showTicket(ticket.id)).toMatchObject({ orderId: orderB, version: 1 });

    const createdA = await bus.publish('order.created', orderCreated(ticket, orderA));
    await handled('tickets-order-created', createdA.id);
    expect(await showTicket(ticket.id)).toMatchObject({ orderId: orderB, version: 1 });
  });

  it('when a restatement of the released order comes later (naming no hand-over), then the ticket stays with the new holder', async () => {
    const ticket = await createTicket(context.app);
    const orderA = await lockThroughBus(ticket);
    const orderB = randomUUID();
    const cancelledA = await bus.publish('order.cancelled', orderCancelled(ticket.id, orderA, orderB));
    await handled('tickets-order-cancelled', cancelledA.id);
    const restated = await bus.publish('order.restated', {
      ...orderCreated(ticket, orderA),
      status: 'cancelled',
      version: 1,
    });
    await handled('tickets-order-restated', restated.id);
    expect(await showTicket(ticket.id)).toMatchObject({ orderId: orderB, version: 2 });
  });
});

describe('order.cancelled → unlock (tickets-order-cancelled)', () => {
  it('when the order holding the ticket is cancelled, then the ticket is for sale again at version 2', async () => {
    const { cookie, user } = signIn();
    const ticket = await createTicket(context.app, cookie, { title: 'Theatre', price: 30 });
    const orderId = await lockThroughBus(ticket);
    await bus.publish('order.cancelled', orderCancelled(ticket.id, orderId));

    await waitFor(async () => expect(await showTicket(ticket.id)).toMatchObject({ orderId: null, version: 2 }));
    expect((await recordedFor(context.database, 'ticket.updated', ticket.id)).at(-1)).toEqual({
      id: ticket.id,
      title: 'Theatre',
      price: 3000,
      userId: user.id,
      orderId: null,
      venue: null,
      startsAt: null,
      timeZone: null,
      version: 2,
    });
    const list = await request(context.app).get('/api/tickets?limit=100').expect(200);
    expect(list.body.map((listed: TicketView) => listed.id)).toContain(ticket.id);
  });

  it('when another order is cancelled, then the ticket stays locked by its own order', async () => {
    const ticket = await createTicket(context.app);
    const orderId = await lockThroughBus(ticket);
    const cancelled = await bus.publish('order.cancelled', orderCancelled(ticket.id, randomUUID()));

    await handled('tickets-order-cancelled', cancelled.id);
    expect(await showTicket(ticket.id)).toMatchObject({ orderId, version: 1 });
    expect(await recordedFor(context.database, 'ticket.updated', ticket.id)).toHaveLength(1);
  });

  it('when order.cancelled arrives before its own order.created, then the ticket stays for sale', async () => {
    const ticket = await createTicket(context.app);
    const orderId = randomUUID();
    const cancelled = await bus.publish('order.cancelled', orderCancelled(ticket.id, orderId));
    await handled('tickets-order-cancelled', cancelled.id);
    const created = await bus.publish('order.created', orderCreated(ticket, orderId));
    await handled('tickets-order-created', created.id);

    expect(await showTicket(ticket.id)).toMatchObject({ orderId: null, version: 0 });
    expect(await recordedFor(context.database, 'ticket.updated', ticket.id)).toEqual([]);
    const released = await context.database.db.select().from(releasedOrders).where(eq(releasedOrders.orderId, orderId));
    expect(released).toHaveLength(1);
  });

  it('when order.cancelled commits while its order.created waits for the ticket’s row lock, then the lock sees the release and the ticket stays for sale', async () => {
    const ticket = await createTicket(context.app);
    const orderId = randomUUID();
    // The cancellation holds the row lock and has recorded the release, not yet committed (unlock-ticket.ts).
    const cancelling = await context.database.pool.connect();
    try {
      await cancelling.query('begin');
      await cancelling.query('select id from tickets where id = $1 for update', [ticket.id]);
      await cancelling.query('insert into released_orders (order_id) values ($1)', [orderId]);
      const listener = orderCreatedListener(context.unitOfWork);
      const locking = listener.handle(
        {
          id: randomUUID(),
          subject: 'order.created',
          occurredAt: new Date().toISOString(),
          data: orderCreated(ticket, orderId),
        },
        { deliveryCount: 1, logger: createTestLogger() },
      );
      await waitUntilWaitingForLock(context.database.pool);
      await cancelling.query('commit');
      await locking;
    } finally {
      cancelling.release();
    }
    expect(await showTicket(ticket.id)).toMatchObject({ orderId: null, version: 0 });
    expect(await recordedFor(context.database, 'ticket.updated', ticket.id)).toEqual([]);
  });

  it('when created and cancelled events of many orders race on their two consumers, then every ticket ends for sale', async () => {
    const raced = await Promise.all(Array.from({ length: 12 }, () => createTicket(context.app)));
    // Both events of each order at once, on their two consumers: which one reaches the ticket first is
    // up to timing, and the outcome must not depend on it.
    const published = await Promise.all(
      raced.map(async (ticket) => {
        const orderId = randomUUID();
        const [created, cancelled] = await Promise.all([
          bus.publish('order.created', orderCreated(ticket, orderId)),
          bus.publish('order.cancelled', orderCancelled(ticket.id, orderId)),
        ]);
        return { created, cancelled };
      }),
    );
    for (const { created, cancelled } of published) {
      await handled('tickets-order-created', created.id);
      await handled('tickets-order-cancelled', cancelled.id);
    }
    for (const ticket of raced) {
      expect(await showTicket(ticket.id)).toMatchObject({ orderId: null });
    }
  });
});

describe('malformed order events', () => {
  it.each([
    ['order.created', 'tickets-order-created'],
    ['order.cancelled', 'tickets-order-cancelled'],
  ] as const)(
    'when %s carries a payload failing its schema, then it is terminated, dead-lettered and never applied',
    async (subject, durable) => {
      const ticket = await createTicket(context.app);
      const orderId = await lockThroughBus(ticket);
      const dead = collectDeadLetters(bus, durable);
      const raw = JSON.stringify({
        id: randomUUID(),
        subject,
        occurredAt: new Date().toISOString(),
        data: { id: orderId, ticket: { id: ticket.id }, version: 'one' },
      });
      try {
        await publishRaw(bus, subject, raw);
        await waitFor(() => expect(dead.received).toHaveLength(1));
        expect(dead.received[0]).toMatchObject({ payload: raw });

        // The consumer handles one message at a time in order: once a later event is handled, the malformed
        // one is settled for good.
        const later = await createTicket(context.app);
        const laterEvent =
          subject === 'order.created'
            ? await bus.publish('order.created', orderCreated(later))
            : await bus.publish('order.cancelled', orderCancelled(later.id, randomUUID()));
        await handled(durable, laterEvent.id);

        expect(await showTicket(ticket.id)).toMatchObject({ orderId, version: 1 });
        const consumer = await bus.manager.consumers.info(bus.options.stream, durable);
        expect(consumer.num_ack_pending).toBe(0);
        expect(consumer.num_redelivered).toBe(0);
        expect(dead.received).toHaveLength(1);
      } finally {
        dead.stop();
      }
    },
  );
});

describe('order.created for a ticket tickets does not know', () => {
  let boundedBus: TestBus;
  let boundedListeners: RunningListeners;

  beforeAll(async () => {
    // A retry budget of seconds instead of a day, so the test sees the end of it.
    boundedBus = await createTestBus({ retry: { budgetMs: 1_500, baseDelayMs: 100, maxDelayMs: 200 } });
    boundedListeners = await startListeners(boundedBus, ticketsListeners(context.unitOfWork));
  });
  afterAll(async () => {
    await boundedListeners.stop();
    await boundedBus.destroy();
  });

  it('when it never becomes applicable, then once the retry budget is spent it lands on the dead-letter subject', async () => {
    const received: { reason: string; kind: string; deliveryCount: number; payload: string }[] = [];
    const subscription = boundedBus.connection.subscribe(boundedBus.deadLetterSubject('tickets-order-created'), {
      callback: (_error, message) => void received.push(message.json()),
    });
    try {
      const unknownTicketId = randomUUID();
      const published = await boundedBus.publish('order.created', {
        ...orderCreated({ id: unknownTicketId, price: 10 } as TicketView),
      });
      await waitFor(() => expect(received).toHaveLength(1));
      expect(received[0]).toMatchObject({
        reason: `ticket ${unknownTicketId} is unknown`,
        kind: 'retry-budget-exhausted',
      });
      // Retried all along the budget, not given up after a count.
      expect(received[0]?.deliveryCount).toBeGreaterThanOrEqual(5);
      expect(JSON.parse(String(received[0]?.payload)).id).toBe(published.id);
    } finally {
      subscription.unsubscribe();
    }
  });
});

describe('order.completed → sold (tickets-order-completed)', () => {
  const orderCompleted = (ticketId: string, orderId: string): EventData<'order.completed'> => ({
    id: orderId,
    ticket: { id: ticketId },
    version: 1,
  });

  it('when the order holding the ticket is paid, then the ticket is sold, stays out of the list and cannot be edited', async () => {
    const { cookie } = signIn();
    const ticket = await createTicket(context.app, cookie);
    const orderId = await lockThroughBus(ticket);
    await bus.publish('order.completed', orderCompleted(ticket.id, orderId));

    await waitFor(async () => expect(await showTicket(ticket.id)).toMatchObject({ orderId, sold: true, version: 2 }));
    expect((await recordedFor(context.database, 'ticket.updated', ticket.id)).map((event) => event.version)).toEqual([
      1, 2,
    ]);
    await request(context.app)
      .put(`/api/tickets/${ticket.id}`)
      .set('Cookie', cookie)
      .send({ title: 'Changed', price: 5 })
      .expect(409);
  });

  it('when order.completed arrives before the order locked the ticket, then the sale waits for the lock', async () => {
    const ticket = await createTicket(context.app);
    const orderId = randomUUID();
    const completed = await bus.publish('order.completed', orderCompleted(ticket.id, orderId));
    // Wait until the listener has seen it at least once and put it back: the lock is not there yet.
    await waitFor(async () => {
      const consumer = await bus.manager.consumers.info(bus.options.stream, 'tickets-order-completed');
      expect(consumer.num_redelivered + consumer.num_ack_pending).toBeGreaterThan(0);
    });
    expect(await showTicket(ticket.id)).toMatchObject({ orderId: null, sold: false });

    await bus.publish('order.created', orderCreated(ticket, orderId));
    await handled('tickets-order-completed', completed.id);
    expect(await showTicket(ticket.id)).toMatchObject({ orderId, sold: true, version: 2 });
  });

  it('when order.completed is delivered twice, then the ticket is sold once', async () => {
    const ticket = await createTicket(context.app);
    const orderId = await lockThroughBus(ticket);
    await bus.publish('order.completed', orderCompleted(ticket.id, orderId));
    const again = await bus.publish('order.completed', orderCompleted(ticket.id, orderId));
    await handled('tickets-order-completed', again.id);
    expect(await showTicket(ticket.id)).toMatchObject({ sold: true, version: 2 });
  });
});

describe('ownership and withdrawal (resale)', () => {
  const owned = async (cookie: string) =>
    (await request(context.app).get('/api/tickets/owned').set('Cookie', cookie).expect(200)).body as unknown[];

  it('when order.completed names the buyer and the price paid, then the buyer owns the ticket at that price', async () => {
    const ticket = await createTicket(context.app, signIn().cookie, { title: 'Opera', price: 40 });
    const buyer = signIn();
    const orderId = await lockThroughBus(ticket);
    // The order was placed at 35.00 (an edit reached orders later): the buyer paid 35.00, not the listing's 40.00.
    const completed = await bus.publish('order.completed', {
      id: orderId,
      userId: buyer.user.id,
      ticket: { id: ticket.id, price: 3500 },
      version: 1,
    });
    await handled('tickets-order-completed', completed.id);
    expect(await owned(buyer.cookie)).toEqual([
      {
        id: ticket.id,
        ticketId: ticket.id,
        generation: 1,
        admittedAt: null,
        title: 'Opera',
        venue: null,
        startsAt: null,
        timeZone: null,
        pricePaid: 35,
        maxResalePrice: 35,
        orderId,
        resale: null,
      },
    ]);
  });

  it('when an older order.completed without the buyer sold the ticket, then its restatement makes the buyer its owner', async () => {
    const ticket = await createTicket(context.app, signIn().cookie, { title: 'Ballet', price: 30 });
    const buyer = signIn();
    const orderId = await lockThroughBus(ticket);
    const completed = await bus.publish('order.completed', { id: orderId, ticket: { id: ticket.id }, version: 1 });
    await handled('tickets-order-completed', completed.id);
    expect(await showTicket(ticket.id)).toMatchObject({ sold: true });
    expect(await owned(buyer.cookie)).toEqual([]);

    const restated = await bus.publish('order.restated', {
      ...orderCreated(ticket, orderId),
      userId: buyer.user.id,
      status: 'complete',
      version: 1,
    });
    await handled('tickets-order-restated', restated.id);
    expect(await owned(buyer.cookie)).toEqual([
      {
        id: ticket.id,
        ticketId: ticket.id,
        generation: 1,
        admittedAt: null,
        title: 'Ballet',
        venue: null,
        startsAt: null,
        timeZone: null,
        pricePaid: 30,
        maxResalePrice: 30,
        orderId,
        resale: null,
      },
    ]);
    expect(await showTicket(ticket.id)).toMatchObject({ sold: true, version: 2 });
  });

  it('when an order of a withdrawn ticket was paid before orders applied the withdrawal, then the sale stands: sold to its buyer, no longer withdrawn', async () => {
    const { cookie } = signIn();
    const ticket = await createTicket(context.app, cookie, { title: 'Late withdrawal', price: 25 });
    await request(context.app).delete(`/api/tickets/${ticket.id}`).set('Cookie', cookie).expect(204);
    const buyer = signIn();
    const orderId = randomUUID();
    const created = await bus.publish('order.created', { ...orderCreated(ticket, orderId), userId: buyer.user.id });
    await handled('tickets-order-created', created.id);
    const completed = await bus.publish('order.completed', {
      id: orderId,
      userId: buyer.user.id,
      ticket: { id: ticket.id, price: 2500 },
      version: 1,
    });
    await handled('tickets-order-completed', completed.id);
    expect(await showTicket(ticket.id)).toMatchObject({ orderId, sold: true, withdrawn: false, version: 2 });
    expect(await owned(buyer.cookie)).toMatchObject([{ id: ticket.id, pricePaid: 25, orderId }]);
    const [, sale] = await recordedFor(context.database, 'ticket.updated', ticket.id);
    expect(sale).toMatchObject({ orderId, version: 2 });
    expect(sale).not.toHaveProperty('withdrawn');
  });

  it('when a withdrawn resale is paid for after its owner listed the ticket again, then the newer listing is withdrawn in its place', async () => {
    const seller = signIn();
    const bought = await createTicket(context.app, seller.cookie, { title: 'Resold twice', price: 30 });
    const owner = signIn();
    const purchase = await lockThroughBus(bought);
    await handled(
      'tickets-order-completed',
      (
        await bus.publish('order.completed', {
          id: purchase,
          userId: owner.user.id,
          ticket: { id: bought.id, price: 3000 },
          version: 1,
        })
      ).id,
    );
    const resell = (price: number) =>
      request(context.app).post(`/api/tickets/${bought.id}/resale`).set('Cookie', owner.cookie).send({ price });
    const first = (await resell(30).expect(201)).body as TicketView;
    await request(context.app).delete(`/api/tickets/${first.id}`).set('Cookie', owner.cookie).expect(204);
    const second = (await resell(29).expect(201)).body as TicketView;

    // A buyer reserved and paid for the first listing in orders before its withdrawal got there.
    const orderId = randomUUID();
    await bus.publish('order.created', orderCreated(first, orderId));
    const completed = await bus.publish('order.completed', {
      id: orderId,
      userId: randomUUID(),
      ticket: { id: first.id, price: 3000 },
      version: 1,
    });
    await handled('tickets-order-completed', completed.id);
    expect(await showTicket(first.id)).toMatchObject({ orderId, sold: true, withdrawn: false });
    expect(await showTicket(second.id)).toMatchObject({ orderId: null, withdrawn: true });
    const listed = (await request(context.app).get('/api/tickets?limit=100').expect(200)).body as TicketView[];
    expect(listed.map((listing) => listing.id)).not.toContain(second.id);
  });

  it('when order.created arrives for a ticket its seller withdrew, then the ticket stays withdrawn and unlocked (orders cancels the order)', async () => {
    const { cookie } = signIn();
    const ticket = await createTicket(context.app, cookie);
    await request(context.app).delete(`/api/tickets/${ticket.id}`).set('Cookie', cookie).expect(204);
    const created = await bus.publish('order.created', orderCreated(ticket));
    await handled('tickets-order-created', created.id);
    expect(await showTicket(ticket.id)).toMatchObject({ orderId: null, withdrawn: true, version: 1 });
  });
});
