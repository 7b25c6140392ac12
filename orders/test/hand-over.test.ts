import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { eq } from 'drizzle-orm';
import request from 'supertest';
import { startListeners, type RunningListeners } from '@ticketing/common/bus';
import { type EventData } from '@ticketing/common/events';
import { createTestBus, waitFor, waitUntilWaitingForLock, type TestBus } from '@ticketing/common/testing';
import { lockBuyer } from '../src/db/orders';
import { orders, waitingListPlaces } from '../src/db/schema';
import { ordersListeners } from '../src/events';
import { cancelOrder } from '../src/orders/cancel-order';
import { joinWaitingList } from '../src/orders/join-waiting-list';
import { sweepOverdueOrders } from '../src/orders/sweep-overdue-orders';
import { TEST_TERMS, recordedPayloads, seedTicket, signIn, useOrdersApp, wasProcessed } from './helpers';

const context = useOrdersApp();
let bus: TestBus;
let listeners: RunningListeners;

beforeAll(async () => {
  bus = await createTestBus();
  listeners = await startListeners(bus, ordersListeners(context.unitOfWork, TEST_TERMS, context.memory));
});
afterAll(async () => {
  await listeners.stop();
  await bus.destroy();
});

type Caller = ReturnType<typeof signIn>;

const join = (ticketId: string, caller: Caller) =>
  request(context.app).post('/api/orders/waitlist').set('Cookie', caller.cookie).send({ ticketId });
const leave = (ticketId: string, caller: Caller) =>
  request(context.app).delete(`/api/orders/waitlist/${ticketId}`).set('Cookie', caller.cookie);

/** A ticket reserved by a buyer (placed `ageSeconds` ago), and `waiting` buyers in its line, in order. */
async function reservedTicketWithLine(waiting: number, { ageSeconds = 0, startsAt = null as Date | null } = {}) {
  const ticket = await seedTicket(context.database, { startsAt });
  const holder = signIn();
  const created = await request(context.app)
    .post('/api/orders')
    .set('Cookie', holder.cookie)
    .send({ ticketId: ticket.id })
    .expect(201);
  const orderId = (created.body as { id: string }).id;
  if (ageSeconds > 0) {
    await context.database.db
      .update(orders)
      .set({ expiresAt: new Date(Date.now() - ageSeconds * 1000) })
      .where(eq(orders.id, orderId));
  }
  const waiters: Caller[] = [];
  for (let index = 0; index < waiting; index += 1) {
    const waiter = signIn();
    await join(ticket.id, waiter).expect(201);
    waiters.push(waiter);
  }
  return { ticket, holder, orderId, waiters };
}

async function liveOrdersOf(ticketId: string) {
  const rows = await context.database.db.select().from(orders).where(eq(orders.ticketId, ticketId));
  return rows.filter((order) => order.status !== 'cancelled');
}

async function placesOf(ticketId: string) {
  return context.database.db.select().from(waitingListPlaces).where(eq(waitingListPlaces.ticketId, ticketId));
}

/** The order.created recorded for the ticket's new holder, if any. */
async function creationsFor(ticketId: string, userId: string) {
  return (await recordedPayloads(context.database, 'order.created')).filter(
    (payload) => payload.ticket.id === ticketId && payload.userId === userId,
  );
}

describe('on expiry (order.expired through JetStream)', () => {
  it('when the holder’s reservation expires, then the first in line holds a new order and its order.created is recorded', async () => {
    const { ticket, orderId, waiters } = await reservedTicketWithLine(2);
    const published = await bus.publish('order.expired', { orderId });
    await waitFor(() => wasProcessed(context.database, 'orders-order-expired', published.id));

    const [live] = await liveOrdersOf(ticket.id);
    expect(live).toMatchObject({ userId: waiters[0]!.user.id, status: 'created', version: 0 });
    expect(live!.expiresAt.getTime()).toBeGreaterThan(Date.now() + (TEST_TERMS.expiresInSeconds - 10) * 1000);
    expect(await creationsFor(ticket.id, waiters[0]!.user.id)).toEqual([
      {
        id: live!.id,
        userId: waiters[0]!.user.id,
        status: 'created',
        expiresAt: live!.expiresAt.toISOString(),
        ticket: { id: ticket.id, price: 2000, startsAt: null },
        version: 0,
      } satisfies EventData<'order.created'>,
    ]);
    expect((await placesOf(ticket.id)).map((place) => place.userId)).toEqual([waiters[1]!.user.id]);
  });

  it('when the same expiry is delivered again, then the ticket is handed over once', async () => {
    const { ticket, orderId, waiters } = await reservedTicketWithLine(2);
    const first = await bus.publish('order.expired', { orderId });
    const again = await bus.publish('order.expired', { orderId });
    await waitFor(() => wasProcessed(context.database, 'orders-order-expired', first.id));
    await waitFor(() => wasProcessed(context.database, 'orders-order-expired', again.id));

    expect(await liveOrdersOf(ticket.id)).toMatchObject([{ userId: waiters[0]!.user.id }]);
    expect(await creationsFor(ticket.id, waiters[1]!.user.id)).toEqual([]);
    expect(await placesOf(ticket.id)).toHaveLength(1);
  });
});

describe('an event starting within the reservation window', () => {
  it('when the ticket is handed over shortly before its event starts, then the new reservation ends at the start, and order.created carries it', async () => {
    const startsAt = new Date(Date.now() + 60_000); // before the end of a 120 s window
    const { ticket, orderId, waiters } = await reservedTicketWithLine(1, { startsAt });

    await cancelOrder(context.unitOfWork, context.memory, orderId, TEST_TERMS, 'buyer');

    const [live] = await liveOrdersOf(ticket.id);
    expect(live).toMatchObject({ userId: waiters[0]!.user.id, expiresAt: startsAt });
    expect(await creationsFor(ticket.id, waiters[0]!.user.id)).toEqual([
      expect.objectContaining({
        expiresAt: startsAt.toISOString(),
        ticket: { id: ticket.id, price: 2000, startsAt: startsAt.toISOString() },
      }),
    ]);
  });
});

describe('on a declined payment (charge.created through JetStream)', () => {
  it('when the holder’s card is declined, then the first in line holds the ticket', async () => {
    const { ticket, orderId, waiters } = await reservedTicketWithLine(1);
    const published = await bus.publish('charge.created', {
      id: randomUUID(),
      orderId,
      status: 'failed',
      amount: 2000,
      stripeId: 'pi_declined',
    });
    await waitFor(() => wasProcessed(context.database, 'orders-charge-created', published.id));
    expect(await liveOrdersOf(ticket.id)).toMatchObject([{ userId: waiters[0]!.user.id, status: 'created' }]);
    expect(await placesOf(ticket.id)).toEqual([]);
  });
});

describe('on the sweep', () => {
  it('when the sweep cancels an overdue reservation, then the first in line holds the ticket with a fresh window the sweep leaves alone', async () => {
    const { ticket, waiters } = await reservedTicketWithLine(1, { ageSeconds: 120 });
    await sweepOverdueOrders(context.unitOfWork, { memory: context.memory, graceSeconds: 30, terms: TEST_TERMS });
    const live = await liveOrdersOf(ticket.id);
    expect(live).toMatchObject([{ userId: waiters[0]!.user.id, status: 'created' }]);
    await sweepOverdueOrders(context.unitOfWork, { memory: context.memory, graceSeconds: 30, terms: TEST_TERMS });
    expect(await liveOrdersOf(ticket.id)).toEqual(live);
  });
});

/**
 * Runs `race` for every round, a few rounds at a time: the rounds are set up beforehand, one after another, and
 * a batch's races share the test database's small pool (5 connections) without waiting out its connect timeout
 * on a loaded machine.
 */
async function racedInBatches<Round, Result>(
  rounds: Round[],
  race: (round: Round, index: number) => Promise<Result>,
): Promise<Result[]> {
  const results: Result[] = [];
  for (let start = 0; start < rounds.length; start += 4) {
    const batch = rounds.slice(start, start + 4);
    results.push(...(await Promise.all(batch.map((round, offset) => race(round, start + offset)))));
  }
  return results;
}

describe('concurrency', () => {
  it('when joins race releases, then no ticket is ever left free while someone waits for it', async () => {
    const tickets = [];
    for (let index = 0; index < 16; index += 1) tickets.push(await reservedTicketWithLine(0));
    const rounds = await racedInBatches(tickets, async ({ ticket, orderId }, index) => {
      const joiner = signIn();
      // Staggered by a millisecond or two either way, so that both orders of arrival occur.
      const [joined] = await Promise.allSettled([
        delay(index % 2 === 0 ? index % 3 : 0).then(() =>
          joinWaitingList(context.unitOfWork, context.memory, joiner.user.id, ticket.id),
        ),
        delay(index % 2 === 1 ? index % 3 : 0).then(() =>
          cancelOrder(context.unitOfWork, context.memory, orderId, TEST_TERMS, 'buyer'),
        ),
      ]);
      return { ticket, joiner, joined };
    });
    for (const { ticket, joiner, joined } of rounds) {
      const live = await liveOrdersOf(ticket.id);
      // Joined before the release: handed the ticket. After it: told to buy it instead. Never in line for a free ticket.
      if (joined.status === 'fulfilled') expect(live).toMatchObject([{ userId: joiner.user.id }]);
      else expect(joined.reason).toMatchObject({ statusCode: 409, message: 'The ticket is for sale; buy it instead' });
      expect(await placesOf(ticket.id)).toEqual([]);
    }
  });

  it('when a join commits while the release waits for the line’s lock, then the release sees the new place and hands the ticket to it', async () => {
    const { ticket, orderId } = await reservedTicketWithLine(0);
    const joiner = signIn();
    // A join holds the line's lock while it adds its place (join-waiting-list.ts): this one has not committed yet.
    const joining = await context.database.pool.connect();
    try {
      await joining.query('begin');
      await joining.query('select id from tickets where id = $1 for no key update', [ticket.id]);
      await joining.query('insert into waiting_list_places (ticket_id, user_id, price) values ($1, $2, $3)', [
        ticket.id,
        joiner.user.id,
        ticket.price,
      ]);
      const releasing = cancelOrder(context.unitOfWork, context.memory, orderId, TEST_TERMS, 'buyer');
      await waitUntilWaitingForLock(context.database.pool);
      await joining.query('commit');
      expect(await releasing).toMatchObject({ result: 'cancelled', handOver: { order: { userId: joiner.user.id } } });
    } finally {
      joining.release();
    }
    expect(await liveOrdersOf(ticket.id)).toMatchObject([{ userId: joiner.user.id, status: 'created' }]);
    expect(await placesOf(ticket.id)).toEqual([]);
  });

  it('when a waiter leaves while the ticket is released, then they either leave or get it, never both or neither', async () => {
    const rounds = [];
    for (let index = 0; index < 12; index += 1) rounds.push(await reservedTicketWithLine(2));
    await racedInBatches(rounds, ({ ticket, orderId, waiters }) =>
      Promise.all([
        leave(ticket.id, waiters[0]!).expect(204),
        cancelOrder(context.unitOfWork, context.memory, orderId, TEST_TERMS, 'buyer'),
      ]),
    );
    for (const { ticket, waiters } of rounds) {
      const [leaver, next] = waiters as [Caller, Caller];
      const live = await liveOrdersOf(ticket.id);
      const places = await placesOf(ticket.id);
      expect(live).toHaveLength(1);
      expect(places.map((place) => place.userId)).not.toContain(leaver.user.id);
      // The leave came first: the next one holds it. The hand-over came first: the leaver holds it, the next waits.
      if (live[0]!.userId === leaver.user.id) expect(places.map((place) => place.userId)).toEqual([next.user.id]);
      else expect(live).toMatchObject([{ userId: next.user.id }]);
    }
  });

  it('when the buyer’s cancel and the expiry release one order at once, then the ticket is handed over once', async () => {
    const { ticket, orderId, waiters } = await reservedTicketWithLine(2);
    const outcomes = await Promise.all([
      cancelOrder(context.unitOfWork, context.memory, orderId, TEST_TERMS, 'buyer'),
      cancelOrder(context.unitOfWork, context.memory, orderId, TEST_TERMS, 'buyer'),
      bus.publish('order.expired', { orderId }),
    ]);
    await waitFor(() => wasProcessed(context.database, 'orders-order-expired', outcomes[2].id));
    expect(await liveOrdersOf(ticket.id)).toMatchObject([{ userId: waiters[0]!.user.id }]);
    expect(await creationsFor(ticket.id, waiters[0]!.user.id)).toHaveLength(1);
    expect(await creationsFor(ticket.id, waiters[1]!.user.id)).toEqual([]);
  });

  it('when the first in line is placing an order of their own at that moment, then they are passed over and keep their place', async () => {
    const { ticket, orderId, waiters } = await reservedTicketWithLine(2);
    // Another transaction holds the first waiter's buyer lock, as their own reservation would.
    await context.database.db.transaction(async (tx) => {
      await lockBuyer(tx, waiters[0]!.user.id);
      await cancelOrder(context.unitOfWork, context.memory, orderId, TEST_TERMS, 'buyer');
    });
    expect(await liveOrdersOf(ticket.id)).toMatchObject([{ userId: waiters[1]!.user.id }]);
    expect((await placesOf(ticket.id)).map((place) => place.userId)).toEqual([waiters[0]!.user.id]);
  });
});
