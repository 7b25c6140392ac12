import { randomUUID } from 'node:crypto';
import type { EventData, Subject } from '@ticketing/common/events';
import { createTestLogger, sessionCookieFor, waitFor } from '@ticketing/common/testing';
import { orderRestatedListener } from '../src/events/order-restated-listener';
import {
  chargeRowsOf,
  envelope,
  findChargeRow,
  findOrderRow,
  pay,
  refundCountOf,
  usePayments,
  wasProcessed,
} from './helpers';

const payments = usePayments({ bus: true });

afterEach(() => jest.restoreAllMocks());

function orderState(overrides: Partial<EventData<'order.restated'>> = {}): EventData<'order.restated'> {
  return {
    id: randomUUID(),
    userId: randomUUID(),
    status: 'created',
    expiresAt: new Date(Date.now() + 15 * 60_000).toISOString(),
    ticket: { id: randomUUID(), price: 2500 },
    version: 0,
    ...overrides,
  };
}

/** Publishes and waits until the listener `durable` has committed its handling of that event. */
async function publishAndWaitProcessed<S extends Subject>(durable: string, subject: S, data: EventData<S>) {
  const published = await payments.bus!.publish(subject, data);
  await waitFor(() => wasProcessed(payments.database, durable, published.id));
}

const restate = (data: EventData<'order.restated'>) =>
  publishAndWaitProcessed('payments-order-restated', 'order.restated', data);

/** An order known to the replica through order.created (version 0), paid with a valid card. */
async function paidOrder() {
  const order = orderState();
  await publishAndWaitProcessed('payments-order-created', 'order.created', order);
  const cookie = sessionCookieFor({ id: order.userId }).cookie;
  const paid = await pay(payments.app, cookie, { orderId: order.id, paymentMethodId: 'pm_card_visa' }).expect(201);
  return { order, charge: paid.body as { id: string; stripeId: string } };
}

describe('order.restated (a state transfer onto the order replica)', () => {
  it('when the order is unknown (its order.created was lost), then it is inserted at that state and version', async () => {
    const order = orderState({ status: 'cancelled', version: 1, ticket: { id: randomUUID(), price: 4321 } });
    await restate(order);
    expect(await findOrderRow(payments.database, order.id)).toEqual({
      id: order.id,
      userId: order.userId,
      status: 'cancelled',
      price: 4321,
      version: 1,
      startsAt: null,
      traceContext: null,
    });
  });

  it('when the replica heard order.created before orders carried the event start, then a restatement with the start fills it in', async () => {
    const startsAt = '2031-06-12T20:00:00.000Z';
    const { ticket, ...order } = orderState();
    await publishAndWaitProcessed('payments-order-created', 'order.created', { ...order, ticket });
    expect(await findOrderRow(payments.database, order.id)).toMatchObject({ startsAt: null });

    await restate({ ...order, ticket: { ...ticket, startsAt }, status: 'created', version: 1 });

    expect(await findOrderRow(payments.database, order.id)).toMatchObject({ version: 1, startsAt: new Date(startsAt) });
  });

  it('when a restatement from before orders carried the start arrives, then the start the replica knows stays', async () => {
    const startsAt = '2031-06-12T20:00:00.000Z';
    const order = orderState({ ticket: { id: randomUUID(), price: 2500, startsAt } });
    await publishAndWaitProcessed('payments-order-created', 'order.created', order);

    await restate({ ...order, ticket: { id: order.ticket.id, price: 2500 }, version: 1 });

    expect(await findOrderRow(payments.database, order.id)).toMatchObject({ version: 1, startsAt: new Date(startsAt) });
  });

  it('when the order is unknown and still open, then its buyer can pay it', async () => {
    const order = orderState({ ticket: { id: randomUUID(), price: 1800 } });
    await restate(order);
    const cookie = sessionCookieFor({ id: order.userId }).cookie;
    const response = await pay(payments.app, cookie, { orderId: order.id, paymentMethodId: 'pm_card_visa' });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ status: 'completed', amount: 1800 });
  });

  it('when the replica missed order.cancelled of a paid order, then the restatement cancels it and refunds the charge once', async () => {
    const { order, charge } = await paidOrder();

    await restate({ ...order, status: 'cancelled', version: 1 });

    expect(await findOrderRow(payments.database, order.id)).toMatchObject({ status: 'cancelled', version: 1 });
    expect((await findChargeRow(payments.database, charge.id))?.stripeRefundId).toMatch(/^re_/);
    expect(await refundCountOf(payments.emulator, charge.stripeId)).toBe(1);
  });

  it('when a cancelled order is then paid, then the payment answers 409 and charges nothing', async () => {
    const order = orderState();
    await publishAndWaitProcessed('payments-order-created', 'order.created', order);
    await restate({ ...order, status: 'cancelled', version: 1 });
    const cookie = sessionCookieFor({ id: order.userId }).cookie;
    const response = await pay(payments.app, cookie, { orderId: order.id, paymentMethodId: 'pm_card_visa' });
    expect(response.status).toBe(409);
    expect(await chargeRowsOf(payments.database, order.id)).toEqual([]);
  });

  it('when the restated version jumps a gap, then it is applied at once (the payload is the whole state)', async () => {
    const order = orderState();
    await publishAndWaitProcessed('payments-order-created', 'order.created', order);
    await restate({ ...order, status: 'cancelled', version: 3 });
    expect(await findOrderRow(payments.database, order.id)).toMatchObject({ status: 'cancelled', version: 3 });
  });

  it('when the replica already holds that version or a later one, then nothing changes and nothing is refunded', async () => {
    const { order, charge } = await paidOrder();
    // The replica at version 1 says complete; older or equal states must not overwrite it.
    await payments.database.pool.query(`UPDATE orders SET status = 'complete', version = 1 WHERE id = $1`, [order.id]);
    const refunds = jest.spyOn(payments.stripe.refunds, 'create');

    await restate({ ...order, status: 'cancelled', version: 1 });
    await restate({ ...order, status: 'created', version: 0 });

    expect(await findOrderRow(payments.database, order.id)).toMatchObject({ status: 'complete', version: 1 });
    expect(refunds).not.toHaveBeenCalled();
    expect((await findChargeRow(payments.database, charge.id))?.stripeRefundId).toBeNull();
  });

  it('when the restatement arrives before order.created, then order.created changes nothing after it', async () => {
    const order = orderState();
    await restate({ ...order, status: 'cancelled', version: 1 });
    await publishAndWaitProcessed('payments-order-created', 'order.created', order);
    expect(await findOrderRow(payments.database, order.id)).toMatchObject({ status: 'cancelled', version: 1 });
  });

  it('when order.cancelled arrives after a restatement already cancelled the order, then it refunds nothing more', async () => {
    const { order, charge } = await paidOrder();
    await restate({ ...order, status: 'cancelled', version: 1 });
    const refunds = jest.spyOn(payments.stripe.refunds, 'create');

    await publishAndWaitProcessed('payments-order-cancelled', 'order.cancelled', {
      id: order.id,
      ticket: { id: order.ticket.id },
      version: 1,
    });

    expect(refunds).not.toHaveBeenCalled();
    expect(await refundCountOf(payments.emulator, charge.stripeId)).toBe(1);
  });

  it('when the same restatement event is handled twice, then Stripe refunds once', async () => {
    const { order, charge } = await paidOrder();
    const listener = orderRestatedListener(payments.unitOfWork, payments.stripe, payments.orderReplicaChanges);
    const event = envelope('order.restated', { ...order, status: 'cancelled', version: 1 });
    const context = { deliveryCount: 1, logger: createTestLogger() };

    await listener.handle(event, context);
    await listener.handle(event, { ...context, deliveryCount: 2 });

    expect(await refundCountOf(payments.emulator, charge.stripeId)).toBe(1);
  });

  it('when Stripe fails during the refund, then the restatement is retried and the refund made once', async () => {
    const { order, charge } = await paidOrder();
    const refunds = jest
      .spyOn(payments.stripe.refunds, 'create')
      .mockRejectedValueOnce(new Error('Stripe is unreachable'));

    await payments.bus!.publish('order.restated', { ...order, status: 'cancelled', version: 1 });

    await waitFor(async () =>
      expect((await findChargeRow(payments.database, charge.id))?.stripeRefundId).toMatch(/^re_/),
    );
    expect(refunds).toHaveBeenCalledTimes(2);
    expect(await refundCountOf(payments.emulator, charge.stripeId)).toBe(1);
    expect(await findOrderRow(payments.database, order.id)).toMatchObject({ status: 'cancelled', version: 1 });
  });
});
