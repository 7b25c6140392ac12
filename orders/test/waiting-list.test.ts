import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import request from 'supertest';
import { outbox } from '@ticketing/common/outbox';
import { orders, tickets, waitingListPlaces } from '../src/db/schema';
import { completeOrder } from '../src/orders/complete-order';
import { buildTestApp, seedTicket, signIn, useOrdersApp, TEST_EXPIRATION_SECONDS } from './helpers';

const context = useOrdersApp({ MAX_LIVE_ORDERS_PER_BUYER: '2' });

type Caller = ReturnType<typeof signIn>;

const reserve = (ticketId: string, caller: Caller) =>
  request(context.app).post('/api/orders').set('Cookie', caller.cookie).send({ ticketId });
const join = (body: unknown, caller: Caller) =>
  request(context.app)
    .post('/api/orders/waitlist')
    .set('Cookie', caller.cookie)
    .send(body as object);
const listPlaces = (caller: Caller) => request(context.app).get('/api/orders/waitlist').set('Cookie', caller.cookie);
const leave = (ticketId: string, caller: Caller) =>
  request(context.app).delete(`/api/orders/waitlist/${ticketId}`).set('Cookie', caller.cookie);
const cancel = (orderId: string, caller: Caller) =>
  request(context.app).delete(`/api/orders/${orderId}`).set('Cookie', caller.cookie);
const myOrders = async (caller: Caller) =>
  (await request(context.app).get('/api/orders').set('Cookie', caller.cookie).expect(200)).body as {
    id: string;
    status: string;
    expiresAt: string;
    ticket: { id: string; price: number };
  }[];

/** A ticket another buyer has reserved: the holder, their order and the ticket. */
async function reservedTicket(overrides: { price?: number } = {}) {
  const ticket = await seedTicket(context.database, overrides);
  const holder = signIn();
  const order = (await reserve(ticket.id, holder).expect(201)).body as { id: string };
  return { ticket, holder, order };
}

async function placesOf(ticketId: string) {
  return context.database.db
    .select()
    .from(waitingListPlaces)
    .where(eq(waitingListPlaces.ticketId, ticketId))
    .orderBy(waitingListPlaces.id);
}

async function liveOrdersOf(ticketId: string) {
  const rows = await context.database.db.select().from(orders).where(eq(orders.ticketId, ticketId));
  return rows.filter((order) => order.status !== 'cancelled');
}

describe('POST /api/orders/waitlist', () => {
  it('when a signed-in buyer queues for a ticket someone else reserved, then 201 with position 1, and the next buyer is 2', async () => {
    const { ticket } = await reservedTicket();
    const first = await join({ ticketId: ticket.id }, signIn()).expect(201);
    expect(first.body).toEqual({ ticketId: ticket.id, position: 1 });
    const second = await join({ ticketId: ticket.id }, signIn()).expect(201);
    expect(second.body).toEqual({ ticketId: ticket.id, position: 2 });
  });

  it('when the seller’s edit reached orders after the buyer’s page showed the old price, then the join is 409 "review the new price", and the release hands them nothing at a price they never saw', async () => {
    const { ticket, holder, order } = await reservedTicket({ price: 3000 });
    // The page showed $30 at version 0; meanwhile the seller's edit to $90 (in the gap before tickets locked
    // the ticket for the holder) reached orders.
    await context.database.db.update(tickets).set({ price: 9000, version: 1 }).where(eq(tickets.id, ticket.id));
    const waiter = signIn();
    const refused = await join({ ticketId: ticket.id, ticketVersion: 0 }, waiter).expect(409);
    expect(refused.body).toEqual({ errors: [{ message: 'The ticket changed; review the new price' }] });
    expect(await placesOf(ticket.id)).toEqual([]);

    await cancel(order.id, holder).expect(204);
    expect(await myOrders(waiter)).toEqual([]);
  });

  it('when the buyer joins at the version their page showed, then the place records its price and that version', async () => {
    const { ticket } = await reservedTicket({ price: 4500 });
    const waiter = signIn();
    await join({ ticketId: ticket.id, ticketVersion: 0 }, waiter).expect(201, { ticketId: ticket.id, position: 1 });
    expect(await placesOf(ticket.id)).toMatchObject([{ userId: waiter.user.id, price: 4500, ticketVersion: 0 }]);
  });

  it('when orders never hears of the version the page showed, then 503 with Retry-After once the replica wait is over, and no place', async () => {
    const { app } = buildTestApp(context.database, { TICKET_REPLICA_WAIT_MS: '200' });
    const { ticket } = await reservedTicket({ price: 3000 });
    const response = await request(app)
      .post('/api/orders/waitlist')
      .set('Cookie', signIn().cookie)
      .send({ ticketId: ticket.id, ticketVersion: 1 })
      .expect(503);
    expect(response.headers['retry-after']).toBe('1');
    expect(response.body).toEqual({ errors: [{ message: 'The ticket is being updated; please try again' }] });
    expect(await placesOf(ticket.id)).toEqual([]);
  });

  it('when ticketVersion is not a whole number from 0, then 400 naming the field and no place', async () => {
    const { ticket } = await reservedTicket();
    for (const ticketVersion of [-1, 1.5, '0', null]) {
      const response = await join({ ticketId: ticket.id, ticketVersion }, signIn()).expect(400);
      expect(response.body).toEqual({
        errors: [{ message: 'ticketVersion must be a whole number from 0', field: 'ticketVersion' }],
      });
    }
    expect(await placesOf(ticket.id)).toEqual([]);
  });

  it('when the buyer joins twice, then the second answer is the same place and nothing changes', async () => {
    const { ticket } = await reservedTicket();
    const buyer = signIn();
    await join({ ticketId: ticket.id }, signIn()).expect(201);
    await join({ ticketId: ticket.id }, buyer).expect(201, { ticketId: ticket.id, position: 2 });
    await join({ ticketId: ticket.id }, buyer).expect(201, { ticketId: ticket.id, position: 2 });
    expect(await placesOf(ticket.id)).toHaveLength(2);
  });

  it('when nobody is signed in, then 401 and no place', async () => {
    const { ticket } = await reservedTicket();
    const response = await request(context.app).post('/api/orders/waitlist').send({ ticketId: ticket.id }).expect(401);
    expect(response.body).toEqual({ errors: [{ message: 'Not signed in' }] });
    expect(await placesOf(ticket.id)).toEqual([]);
  });

  it.each([[{}], [{ ticketId: 'not-a-uuid' }], [{ ticketId: 42 }]])(
    'when the body is %j, then 400 names ticketId',
    async (body) => {
      const response = await join(body, signIn()).expect(400);
      expect(response.body).toEqual({ errors: [{ message: 'ticketId must be a valid id', field: 'ticketId' }] });
    },
  );

  it('when the ticket is unknown, then 404', async () => {
    const response = await join({ ticketId: randomUUID() }, signIn()).expect(404);
    expect(response.body).toEqual({ errors: [{ message: 'Ticket not found' }] });
  });

  it('when the ticket is the buyer’s own listing, then 403 and no place', async () => {
    const seller = signIn();
    const ticket = await seedTicket(context.database, { userId: seller.user.id });
    await reserve(ticket.id, signIn()).expect(201);
    const response = await join({ ticketId: ticket.id }, seller).expect(403);
    expect(response.body).toEqual({ errors: [{ message: 'You cannot queue for your own ticket' }] });
    expect(await placesOf(ticket.id)).toEqual([]);
  });

  it('when the ticket is for sale, then 409 says to buy it instead', async () => {
    const ticket = await seedTicket(context.database);
    const response = await join({ ticketId: ticket.id }, signIn()).expect(409);
    expect(response.body).toEqual({ errors: [{ message: 'The ticket is for sale; buy it instead' }] });
    expect(await placesOf(ticket.id)).toEqual([]);
  });

  it('when the ticket is sold, then 409', async () => {
    const { ticket, order } = await reservedTicket();
    await completeOrder(context.unitOfWork, order.id);
    const response = await join({ ticketId: ticket.id }, signIn()).expect(409);
    expect(response.body).toEqual({ errors: [{ message: 'The ticket is sold' }] });
  });

  it('when the ticket’s event has started, then 409 and no place', async () => {
    const { ticket } = await reservedTicket();
    await context.database.db
      .update(tickets)
      .set({ startsAt: new Date(Date.now() - 1_000) })
      .where(eq(tickets.id, ticket.id));
    const response = await join({ ticketId: ticket.id }, signIn()).expect(409);
    expect(response.body).toEqual({ errors: [{ message: 'The event has already started' }] });
    expect(await placesOf(ticket.id)).toEqual([]);
  });

  it('when the buyer holds the ticket themselves, then 409', async () => {
    const { ticket, holder } = await reservedTicket();
    const response = await join({ ticketId: ticket.id }, holder).expect(409);
    expect(response.body).toEqual({ errors: [{ message: 'You already hold this ticket' }] });
  });

  it('when one buyer keeps joining and leaving, then 429 past ORDER_RATE_LIMIT_PER_MINUTE, counted per buyer', async () => {
    const limited = buildTestApp(context.database, { ORDER_RATE_LIMIT_PER_MINUTE: '2' });
    const { ticket } = await reservedTicket();
    const buyer = signIn();
    await request(limited.app).post('/api/orders/waitlist').set('Cookie', buyer.cookie).send({ ticketId: ticket.id });
    await request(limited.app).delete(`/api/orders/waitlist/${ticket.id}`).set('Cookie', buyer.cookie).expect(204);
    const refused = await request(limited.app)
      .post('/api/orders/waitlist')
      .set('Cookie', buyer.cookie)
      .send({ ticketId: ticket.id })
      .expect(429);
    expect(refused.body).toEqual({ errors: [{ message: 'Too many waiting list changes; please wait a minute' }] });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    await request(limited.app)
      .post('/api/orders/waitlist')
      .set('Cookie', signIn().cookie)
      .send({ ticketId: ticket.id })
      .expect(201);
  });
});

describe('GET /api/orders/waitlist', () => {
  it('when the buyer is in lines, then it lists their places with positions, titles and the price they joined at', async () => {
    const buyer = signIn();
    const concert = await reservedTicket({ price: 4550 });
    const opera = await reservedTicket({ price: 12_000 });
    await join({ ticketId: concert.ticket.id }, buyer).expect(201);
    await join({ ticketId: opera.ticket.id }, signIn()).expect(201);
    await join({ ticketId: opera.ticket.id }, buyer).expect(201);

    const response = await listPlaces(buyer).expect(200);
    expect(response.body).toEqual([
      {
        ticketId: concert.ticket.id,
        position: 1,
        ticket: { id: concert.ticket.id, title: 'Concert', price: 45.5 },
        joinedAt: expect.any(String),
      },
      {
        ticketId: opera.ticket.id,
        position: 2,
        ticket: { id: opera.ticket.id, title: 'Concert', price: 120 },
        joinedAt: expect.any(String),
      },
    ]);
    expect(await listPlaces(signIn()).expect(200)).toHaveProperty('body', []);
  });

  it('when nobody is signed in, then 401', async () => {
    await request(context.app).get('/api/orders/waitlist').expect(401);
  });
});

describe('DELETE /api/orders/waitlist/:ticketId', () => {
  it('when a buyer leaves, then 204, they are out of the line and those behind move up', async () => {
    const { ticket } = await reservedTicket();
    const first = signIn();
    const second = signIn();
    await join({ ticketId: ticket.id }, first).expect(201);
    await join({ ticketId: ticket.id }, second).expect(201);

    await leave(ticket.id, first).expect(204);
    expect((await listPlaces(first).expect(200)).body).toEqual([]);
    expect((await listPlaces(second).expect(200)).body).toMatchObject([{ ticketId: ticket.id, position: 1 }]);
  });

  it('when the buyer is not in the line (or leaves again), then 204 and nothing changes', async () => {
    const { ticket } = await reservedTicket();
    const other = signIn();
    await join({ ticketId: ticket.id }, other).expect(201);
    await leave(ticket.id, signIn()).expect(204);
    await leave(randomUUID(), signIn()).expect(204);
    expect(await placesOf(ticket.id)).toHaveLength(1);
  });

  it('when the ticket id is malformed, then 404; when nobody is signed in, 401', async () => {
    const malformed = await leave('not-a-uuid', signIn()).expect(404);
    expect(malformed.body).toEqual({ errors: [{ message: 'Not found' }] });
    await request(context.app).delete(`/api/orders/waitlist/${randomUUID()}`).expect(401);
  });
});

describe('the hand-over when the holder cancels', () => {
  it('when the holding order is cancelled, then the first in line holds a new order with a fresh window at the price they joined at, and leaves the line', async () => {
    const { ticket, holder, order } = await reservedTicket({ price: 3000 });
    const first = signIn();
    const second = signIn();
    await join({ ticketId: ticket.id }, first).expect(201);
    await join({ ticketId: ticket.id }, second).expect(201);

    const before = Date.now();
    await cancel(order.id, holder).expect(204);

    const [handedOver, ...others] = await myOrders(first);
    expect(others).toEqual([]);
    expect(handedOver).toMatchObject({ status: 'created', ticket: { id: ticket.id, price: 30 } });
    const window = new Date(handedOver!.expiresAt).getTime() - before;
    expect(window).toBeGreaterThanOrEqual(TEST_EXPIRATION_SECONDS * 1000 - 1000);
    expect(window).toBeLessThanOrEqual(TEST_EXPIRATION_SECONDS * 1000 + 5000);
    expect(await liveOrdersOf(ticket.id)).toMatchObject([{ id: handedOver!.id, userId: first.user.id }]);
    expect((await listPlaces(first).expect(200)).body).toEqual([]);
    expect((await listPlaces(second).expect(200)).body).toMatchObject([{ ticketId: ticket.id, position: 1 }]);
  });

  it('when the ticket is released, then order.cancelled (naming the new holder’s order) and that order’s order.created are recorded in that order, in one transaction', async () => {
    const { ticket, holder, order } = await reservedTicket({ price: 3000 });
    const waiter = signIn();
    await join({ ticketId: ticket.id }, waiter).expect(201);
    await cancel(order.id, holder).expect(204);
    const [handedOver] = await myOrders(waiter);

    const rows = await context.database.db.select().from(outbox).orderBy(outbox.sequence);
    const recorded = rows
      .map((row) => [row.subject, (row.data as { id: string }).id])
      .filter(([, id]) => id === order.id || id === handedOver!.id);
    expect(recorded).toEqual([
      ['order.created', order.id],
      ['order.cancelled', order.id],
      ['order.created', handedOver!.id],
    ]);
    // The release names the new holder: tickets moves its lock from one order to the other in one step.
    expect(
      rows.find((row) => row.subject === 'order.cancelled' && (row.data as { id: string }).id === order.id)?.data,
    ).toEqual({
      id: order.id,
      ticket: { id: ticket.id },
      version: 1,
      handedOverTo: { id: handedOver!.id },
      reason: 'buyer',
    });
  });

  it('when the first in line already holds the maximum of reservations, then they are passed over, keep their place, and the next one gets the ticket', async () => {
    const { ticket, holder, order } = await reservedTicket();
    const busy = signIn();
    const next = signIn();
    await join({ ticketId: ticket.id }, busy).expect(201);
    await join({ ticketId: ticket.id }, next).expect(201);
    // MAX_LIVE_ORDERS_PER_BUYER is 2 in this file.
    await reserve((await seedTicket(context.database)).id, busy).expect(201);
    await reserve((await seedTicket(context.database)).id, busy).expect(201);

    await cancel(order.id, holder).expect(204);
    expect(await liveOrdersOf(ticket.id)).toMatchObject([{ userId: next.user.id }]);
    expect((await listPlaces(busy).expect(200)).body).toMatchObject([{ ticketId: ticket.id, position: 1 }]);
  });

  it('when the ticket’s price changed since a buyer joined, then their place is dropped and the next one at the current price gets it', async () => {
    const { ticket, holder, order } = await reservedTicket({ price: 3000 });
    const stale = signIn();
    await join({ ticketId: ticket.id }, stale).expect(201);
    // The seller's edit reached orders while the ticket's lock was on its way to tickets.
    await context.database.db.update(tickets).set({ price: 9000, version: 1 }).where(eq(tickets.id, ticket.id));
    const current = signIn();
    await join({ ticketId: ticket.id }, current).expect(201, { ticketId: ticket.id, position: 2 });

    await cancel(order.id, holder).expect(204);
    expect(await liveOrdersOf(ticket.id)).toMatchObject([{ userId: current.user.id, price: 9000 }]);
    expect((await listPlaces(stale).expect(200)).body).toEqual([]);
    expect(await myOrders(stale)).toEqual([]);
  });

  it('when the ticket’s price went down since a buyer joined, then they are handed it at the lower price', async () => {
    const { ticket, holder, order } = await reservedTicket({ price: 3000 });
    const waiter = signIn();
    await join({ ticketId: ticket.id, ticketVersion: 0 }, waiter).expect(201);
    // The seller's cut reached orders while the ticket's lock was on its way to tickets.
    await context.database.db.update(tickets).set({ price: 2000, version: 1 }).where(eq(tickets.id, ticket.id));

    await cancel(order.id, holder).expect(204);
    expect(await liveOrdersOf(ticket.id)).toMatchObject([{ userId: waiter.user.id, price: 2000 }]);
  });

  it('when the ticket’s event has started by the time it is released, then nobody is handed it', async () => {
    const { ticket, holder, order } = await reservedTicket();
    const waiter = signIn();
    await join({ ticketId: ticket.id }, waiter).expect(201);
    // The event began while the holder sat on the reservation.
    await context.database.db
      .update(tickets)
      .set({ startsAt: new Date(Date.now() - 1_000) })
      .where(eq(tickets.id, ticket.id));

    await cancel(order.id, holder).expect(204);
    expect(await liveOrdersOf(ticket.id)).toEqual([]);
    expect(await myOrders(waiter)).toEqual([]);
  });

  it('when the seller withdrew the ticket while it was reserved, then nobody in line is handed it', async () => {
    const { ticket, holder, order } = await reservedTicket();
    const waiter = signIn();
    await join({ ticketId: ticket.id }, waiter).expect(201);
    await context.database.db.update(tickets).set({ withdrawn: true }).where(eq(tickets.id, ticket.id));

    await cancel(order.id, holder).expect(204);
    expect(await liveOrdersOf(ticket.id)).toEqual([]);
    expect(await myOrders(waiter)).toEqual([]);
    const refused = await join({ ticketId: ticket.id }, signIn()).expect(409);
    expect(refused.body).toEqual({ errors: [{ message: 'The ticket was withdrawn by its seller' }] });
  });

  it('when nobody is in line, then the ticket is simply for sale again', async () => {
    const { ticket, holder, order } = await reservedTicket();
    await cancel(order.id, holder).expect(204);
    expect(await liveOrdersOf(ticket.id)).toEqual([]);
    await reserve(ticket.id, signIn()).expect(201);
  });

  it('when the handed-over reservation is cancelled in turn, then the next in line gets the ticket', async () => {
    const { ticket, holder, order } = await reservedTicket();
    const first = signIn();
    const second = signIn();
    await join({ ticketId: ticket.id }, first).expect(201);
    await join({ ticketId: ticket.id }, second).expect(201);
    await cancel(order.id, holder).expect(204);
    const [handedOver] = await myOrders(first);

    await cancel(handedOver!.id, first).expect(204);
    expect(await liveOrdersOf(ticket.id)).toMatchObject([{ userId: second.user.id }]);
    expect(await placesOf(ticket.id)).toEqual([]);
  });

  it('when the ticket is sold, then its line is closed', async () => {
    const { ticket, order } = await reservedTicket();
    const waiter = signIn();
    await join({ ticketId: ticket.id }, waiter).expect(201);
    await completeOrder(context.unitOfWork, order.id);
    expect((await listPlaces(waiter).expect(200)).body).toEqual([]);
  });
});
