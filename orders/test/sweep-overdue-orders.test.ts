import { randomUUID } from 'node:crypto';
import { createTestLogger, waitFor } from '@ticketing/common/testing';
import { completeOrder } from '../src/orders/complete-order';
import { createOrder } from '../src/orders/create-order';
import { startOrderSweep, sweepOverdueOrders } from '../src/orders/sweep-overdue-orders';
import { TEST_TERMS, cancellationsOf, findOrderRow, seedTicket, useOrdersApp } from './helpers';

const context = useOrdersApp();

const GRACE_SECONDS = 30;
const LOCK_SECONDS = 60;

/** An order placed `ageSeconds` ago with a LOCK_SECONDS window, on a fresh ticket. */
async function orderPlacedAgo(ageSeconds: number) {
  const ticket = await seedTicket(context.database);
  return createOrder(context.unitOfWork, context.memory, randomUUID(), ticket.id, {
    expiresInSeconds: LOCK_SECONDS,
    now: new Date(Date.now() - ageSeconds * 1000),
  });
}

/** Long enough ago that deadline + grace has passed. */
const OVERDUE_AGE = LOCK_SECONDS + GRACE_SECONDS + 5;

describe('sweepOverdueOrders', () => {
  it('when an unpaid order is past its deadline plus grace, then it is cancelled and order.cancelled recorded', async () => {
    const overdue = await orderPlacedAgo(OVERDUE_AGE);
    const cancelled = await sweepOverdueOrders(context.unitOfWork, {
      memory: context.memory,
      graceSeconds: GRACE_SECONDS,
      terms: TEST_TERMS,
    });
    expect(cancelled).toBeGreaterThanOrEqual(1);
    expect(await findOrderRow(context.database, overdue.id)).toMatchObject({ status: 'cancelled', version: 1 });
    expect(await cancellationsOf(context.database, overdue.id)).toEqual([
      { id: overdue.id, ticket: { id: overdue.ticket.id }, version: 1, reason: 'expired' },
    ]);
  });

  it('when orders are fresh, only just past their deadline, or complete, then the sweep leaves them alone', async () => {
    const fresh = await orderPlacedAgo(0);
    const withinGrace = await orderPlacedAgo(LOCK_SECONDS + GRACE_SECONDS - 10);
    const complete = await orderPlacedAgo(OVERDUE_AGE);
    await completeOrder(context.unitOfWork, complete.id);
    const overdue = await orderPlacedAgo(OVERDUE_AGE);

    await sweepOverdueOrders(context.unitOfWork, {
      memory: context.memory,
      graceSeconds: GRACE_SECONDS,
      terms: TEST_TERMS,
    });

    expect((await findOrderRow(context.database, overdue.id))?.status).toBe('cancelled');
    for (const untouched of [fresh, withinGrace]) {
      expect(await findOrderRow(context.database, untouched.id)).toMatchObject({ status: 'created', version: 0 });
      expect(await cancellationsOf(context.database, untouched.id)).toEqual([]);
    }
    expect(await findOrderRow(context.database, complete.id)).toMatchObject({ status: 'complete', version: 1 });
    expect(await cancellationsOf(context.database, complete.id)).toEqual([]);
  });

  it('when more orders are overdue than one batch holds, then one sweep cancels them all', async () => {
    const overdue = await Promise.all(Array.from({ length: 5 }, () => orderPlacedAgo(OVERDUE_AGE)));
    await sweepOverdueOrders(context.unitOfWork, {
      memory: context.memory,
      graceSeconds: GRACE_SECONDS,
      terms: TEST_TERMS,
      batchSize: 2,
    });
    for (const order of overdue) expect((await findOrderRow(context.database, order.id))?.status).toBe('cancelled');
  });

  it('when two replicas sweep at the same time, then each overdue order is cancelled once', async () => {
    const overdue = await Promise.all(Array.from({ length: 6 }, () => orderPlacedAgo(OVERDUE_AGE)));
    const [first, second] = await Promise.all([
      sweepOverdueOrders(context.unitOfWork, {
        memory: context.memory,
        graceSeconds: GRACE_SECONDS,
        terms: TEST_TERMS,
      }),
      sweepOverdueOrders(context.unitOfWork, {
        memory: context.memory,
        graceSeconds: GRACE_SECONDS,
        terms: TEST_TERMS,
      }),
    ]);
    expect((first ?? 0) + (second ?? 0)).toBe(overdue.length);
    for (const order of overdue) {
      expect(await findOrderRow(context.database, order.id)).toMatchObject({ status: 'cancelled', version: 1 });
      expect(await cancellationsOf(context.database, order.id)).toHaveLength(1);
    }
  });

  it('when the sweep runs, then the cancelled ticket can be ordered again', async () => {
    const overdue = await orderPlacedAgo(OVERDUE_AGE);
    await sweepOverdueOrders(context.unitOfWork, {
      memory: context.memory,
      graceSeconds: GRACE_SECONDS,
      terms: TEST_TERMS,
    });
    const again = await createOrder(context.unitOfWork, context.memory, randomUUID(), overdue.ticket.id, {
      expiresInSeconds: LOCK_SECONDS,
    });
    expect(again.status).toBe('created');
  });
});

describe('the sweep schedule', () => {
  it('when started, then it sweeps overdue orders on its own, and stops when asked', async () => {
    const overdue = await orderPlacedAgo(OVERDUE_AGE);
    const sweep = startOrderSweep(context.unitOfWork, {
      intervalSeconds: 1,
      graceSeconds: GRACE_SECONDS,
      terms: TEST_TERMS,
      memory: context.memory,
      logger: createTestLogger(),
    });
    try {
      await waitFor(async () => expect((await findOrderRow(context.database, overdue.id))?.status).toBe('cancelled'));
    } finally {
      await sweep.stop();
    }
  });
});
