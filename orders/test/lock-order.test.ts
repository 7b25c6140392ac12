import { eq, sql } from 'drizzle-orm';
import request from 'supertest';
import { waitFor } from '@ticketing/common/testing';
import { orders, tickets } from '../src/db/schema';
import { applyTicketChange } from '../src/orders/apply-ticket-change';
import { cancelOrder } from '../src/orders/cancel-order';
import { cancellationsOf, findOrderRow, seedTicket, signIn, useOrdersApp, TEST_TERMS } from './helpers';

const context = useOrdersApp();

type Caller = ReturnType<typeof signIn>;

const reserve = (ticketId: string, caller: Caller) =>
  request(context.app).post('/api/orders').set('Cookie', caller.cookie).send({ ticketId });
const join = (ticketId: string, caller: Caller) =>
  request(context.app).post('/api/orders/waitlist').set('Cookie', caller.cookie).send({ ticketId });
const cancel = (orderId: string, caller: Caller) =>
  request(context.app).delete(`/api/orders/${orderId}`).set('Cookie', caller.cookie);

/** A ticket someone holds, with one buyer in its line: a cancel of the holder's order hands it on. */
async function reservedTicketWithWaiter() {
  const ticket = await seedTicket(context.database);
  const holder = signIn();
  const order = (await reserve(ticket.id, holder).expect(201)).body as { id: string };
  const waiter = signIn();
  await join(ticket.id, waiter).expect(201);
  return { ticket, holder, order, waiter };
}

/** How many sessions of this test's database wait for a lock another transaction holds. */
async function sessionsWaitingForALock(): Promise<number> {
  const result = (await context.database.db.execute(
    sql`select count(*)::int as waiting from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
  )) as { rows: { waiting: number }[] };
  return result.rows[0]?.waiting ?? 0;
}

describe('one lock order: a ticket’s row before its orders’', () => {
  it('when a cancel that hands the ticket on meets the seller’s withdrawal being applied, then neither is a deadlock victim: each runs once, the order is cancelled once and nobody is handed the withdrawn ticket', async () => {
    const { ticket, order } = await reservedTicketWithWaiter();
    let withdrawalAttempts = 0;
    let cancelAttempts = 0;
    let ticketLocked!: () => void;
    const ticketIsLocked = new Promise<void>((resolve) => (ticketLocked = resolve));

    // The withdrawal reaching orders: the listener's transaction updates the ticket's row first (here taken
    // explicitly, so that the cancel can be started while it is held), then cancels its unpaid order.
    const withdrawal = context.unitOfWork.transaction(async (tx, events) => {
      withdrawalAttempts += 1;
      await tx.select().from(tickets).where(eq(tickets.id, ticket.id)).for('no key update');
      ticketLocked();
      // The barrier: go on only once the cancel waits for a lock this transaction holds.
      await waitFor(async () => expect(await sessionsWaitingForALock()).toBe(1));
      return applyTicketChange(
        tx,
        events,
        context.memory,
        {
          id: ticket.id,
          title: ticket.title,
          price: ticket.price,
          userId: ticket.userId,
          orderId: null,
          withdrawn: true,
          version: ticket.version + 1,
        },
        TEST_TERMS,
      );
    });
    await ticketIsLocked;
    // The buyer's cancel meanwhile, in a transaction of its own.
    const cancelled = context.unitOfWork.transaction(async (tx, events) => {
      cancelAttempts += 1;
      return cancelOrder({ tx, events }, context.memory, order.id, TEST_TERMS, 'buyer');
    });

    const [withdrawalOutcome, cancelOutcome] = await Promise.all([withdrawal, cancelled]);
    expect({ withdrawalAttempts, cancelAttempts }).toEqual({ withdrawalAttempts: 1, cancelAttempts: 1 });
    expect(withdrawalOutcome).toEqual({ result: 'applied', cancelledOrderIds: [order.id] });
    expect(cancelOutcome).toMatchObject({ result: 'already-cancelled' });
    expect(await findOrderRow(context.database, order.id)).toMatchObject({ status: 'cancelled', version: 1 });
    expect(await cancellationsOf(context.database, order.id)).toHaveLength(1);
    const live = await context.database.db.select().from(orders).where(eq(orders.ticketId, ticket.id));
    expect(live.filter((row) => row.status !== 'cancelled')).toEqual([]);
  });
});

/**
 * Makes PostgreSQL abort the next `times` updates of an order as deadlock victims (SQLSTATE 40P01), the way its
 * deadlock detector does. A sequence counts them: it is not rolled back with the aborted transaction.
 */
async function abortOrderUpdatesAsDeadlocks(times: number): Promise<() => Promise<void>> {
  const db = context.database.db;
  await db.execute(sql.raw(`create sequence deadlock_victims`));
  await db.execute(
    sql.raw(`create function abort_as_deadlock_victim() returns trigger language plpgsql as $$
      begin
        if nextval('deadlock_victims') <= ${times} then
          raise exception 'deadlock detected' using errcode = '40P01';
        end if;
        return new;
      end $$`),
  );
  await db.execute(
    sql.raw(
      `create trigger abort_as_deadlock_victim before update on orders for each row execute function abort_as_deadlock_victim()`,
    ),
  );
  return async () => {
    await db.execute(sql.raw(`drop trigger abort_as_deadlock_victim on orders`));
    await db.execute(sql.raw(`drop function abort_as_deadlock_victim()`));
    await db.execute(sql.raw(`drop sequence deadlock_victims`));
  };
}

describe('a transaction aborted as a deadlock victim', () => {
  it('when the buyer’s cancel is aborted with 40P01 once, then it runs again: 204, and the order is cancelled and handed on once', async () => {
    const { holder, order, waiter, ticket } = await reservedTicketWithWaiter();
    const restore = await abortOrderUpdatesAsDeadlocks(1);
    try {
      await cancel(order.id, holder).expect(204);
    } finally {
      await restore();
    }
    expect(await findOrderRow(context.database, order.id)).toMatchObject({ status: 'cancelled', version: 1 });
    expect(await cancellationsOf(context.database, order.id)).toHaveLength(1);
    const live = await context.database.db.select().from(orders).where(eq(orders.ticketId, ticket.id));
    expect(live.filter((row) => row.status !== 'cancelled')).toMatchObject([{ userId: waiter.user.id }]);
  });

  it('when it is aborted on every attempt, then 503 with Retry-After and the envelope, never a 500, and the order stays', async () => {
    const { holder, order } = await reservedTicketWithWaiter();
    const restore = await abortOrderUpdatesAsDeadlocks(1_000);
    let response: request.Response;
    try {
      response = await cancel(order.id, holder);
    } finally {
      await restore();
    }
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('1');
    expect(response.body).toEqual({ errors: [{ message: 'The service is busy; please try again' }] });
    expect(await findOrderRow(context.database, order.id)).toMatchObject({ status: 'created', version: 0 });
    expect(await cancellationsOf(context.database, order.id)).toEqual([]);
  });
});
