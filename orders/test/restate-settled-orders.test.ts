import { randomUUID } from 'node:crypto';
import { cancelOrder } from '../src/orders/cancel-order';
import { createOrder } from '../src/orders/create-order';
import { restateSettledOrders } from '../src/orders/restate-settled-orders';
import { TEST_TERMS, recordedPayloads, seedTicket, useOrdersApp } from './helpers';

const context = useOrdersApp();

const SETTLE_SECONDS = 60;
const secondsFromNow = (seconds: number) => new Date(Date.now() + seconds * 1000);

async function placeOrder(price = 2000, startsAt: Date | null = null) {
  const ticket = await seedTicket(context.database, { price, startsAt });
  return createOrder(context.unitOfWork, context.memory, randomUUID(), ticket.id, { expiresInSeconds: 900 });
}

async function restatedIds() {
  return (await recordedPayloads(context.database, 'order.restated')).map((payload) => payload.id);
}

describe('restating settled orders (the reconciliation backstop)', () => {
  it('when orders have been quiet for the settle time, then each is restated once with its whole state', async () => {
    const startsAt = new Date(Date.now() + 24 * 60 * 60_000);
    const first = await placeOrder(4200, startsAt);
    const second = await placeOrder();
    await cancelOrder(context.unitOfWork, context.memory, second.id, TEST_TERMS, 'buyer');

    // Not settled yet: nothing is restated while the order's own events may still be on their way.
    expect(await restateSettledOrders(context.unitOfWork, { settleSeconds: SETTLE_SECONDS })).toBe(0);

    const later = secondsFromNow(SETTLE_SECONDS + 1);
    expect(await restateSettledOrders(context.unitOfWork, { settleSeconds: SETTLE_SECONDS, now: later })).toBe(2);
    const payloads = await recordedPayloads(context.database, 'order.restated');
    expect(payloads).toEqual([
      {
        id: first.id,
        userId: first.userId,
        status: 'created',
        expiresAt: first.expiresAt,
        // With the event's start, so a replica that never heard order.created still refuses to take money after it.
        ticket: { id: first.ticket.id, price: 4200, startsAt: startsAt.toISOString() },
        version: 0,
      },
      expect.objectContaining({ id: second.id, status: 'cancelled', version: 1 }),
    ]);

    // The cursor moved past them: running again restates nothing twice.
    expect(await restateSettledOrders(context.unitOfWork, { settleSeconds: SETTLE_SECONDS, now: later })).toBe(0);
  });

  it('when a restated order changes again, then it is restated again after that change settles', async () => {
    const order = await placeOrder();
    await restateSettledOrders(context.unitOfWork, { settleSeconds: SETTLE_SECONDS, now: secondsFromNow(61) });
    expect((await restatedIds()).filter((id) => id === order.id)).toHaveLength(1);

    await cancelOrder(context.unitOfWork, context.memory, order.id, TEST_TERMS, 'buyer');
    await restateSettledOrders(context.unitOfWork, { settleSeconds: SETTLE_SECONDS, now: secondsFromNow(61) });
    const restated = (await recordedPayloads(context.database, 'order.restated')).filter(
      (payload) => payload.id === order.id,
    );
    expect(restated.map((payload) => [payload.status, payload.version])).toEqual([
      ['created', 0],
      ['cancelled', 1],
    ]);
  });

  it('when more orders settled than one batch holds, then every one is restated, in batches', async () => {
    const placed = await Promise.all(Array.from({ length: 7 }, () => placeOrder()));
    const before = (await restatedIds()).length;
    const restated = await restateSettledOrders(context.unitOfWork, {
      settleSeconds: SETTLE_SECONDS,
      now: secondsFromNow(61),
      batchSize: 3,
    });
    expect(restated).toBe(7);
    expect((await restatedIds()).slice(before).sort()).toEqual(placed.map((order) => order.id).sort());
  });

  it('when two replicas run the job at once, then each order is restated once', async () => {
    const placed = await Promise.all(Array.from({ length: 5 }, () => placeOrder()));
    const before = (await restatedIds()).length;
    const now = secondsFromNow(61);
    const counts = await Promise.all([
      restateSettledOrders(context.unitOfWork, { settleSeconds: SETTLE_SECONDS, now, batchSize: 2 }),
      restateSettledOrders(context.unitOfWork, { settleSeconds: SETTLE_SECONDS, now, batchSize: 2 }),
    ]);
    expect(counts[0] + counts[1]).toBe(5);
    expect((await restatedIds()).slice(before).sort()).toEqual(placed.map((order) => order.id).sort());
  });
});
