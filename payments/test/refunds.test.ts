import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { createTestLogger, sessionCookieFor, waitFor, waitUntilWaitingForLock } from '@ticketing/common/testing';
import type { EventData } from '@ticketing/common/events';
import { orderCancelledListener } from '../src/events/order-cancelled-listener';
import {
  chargeEventsOf,
  chargeRowsOf,
  envelope,
  findChargeRow,
  findOrderRow,
  listPayments,
  pay,
  paymentIntentIdsOf,
  refundCountOf,
  usePayments,
  wasProcessed,
  type PaymentsHarness,
} from './helpers';

const payments = usePayments({ bus: true });

afterEach(() => jest.restoreAllMocks());

/** An order placed through order.created, as orders publishes it, and its buyer's session. */
async function placeOrder(harness: PaymentsHarness, price = 2500) {
  const data: EventData<'order.created'> = {
    id: randomUUID(),
    userId: randomUUID(),
    status: 'created',
    expiresAt: new Date(Date.now() + 15 * 60_000).toISOString(),
    ticket: { id: randomUUID(), price },
    version: 0,
  };
  await harness.bus?.publish('order.created', data);
  await waitFor(async () => expect(await findOrderRow(harness.database, data.id)).toBeDefined());
  return { ...data, cookie: sessionCookieFor({ id: data.userId }).cookie };
}

function cancellation(order: { id: string; ticket: { id: string } }): EventData<'order.cancelled'> {
  return { id: order.id, ticket: { id: order.ticket.id }, version: 1 };
}

describe('refunds (docs/rules.md#rule-5)', () => {
  it('when a paid order is then cancelled, then the charge is refunded once, even if the cancellation comes twice', async () => {
    const order = await placeOrder(payments);
    const paid = await pay(payments.app, order.cookie, { orderId: order.id, paymentMethodId: 'pm_card_visa' });
    expect(paid.status).toBe(201);

    await payments.bus?.publish('order.cancelled', cancellation(order));
    await waitFor(async () =>
      expect((await findChargeRow(payments.database, paid.body.id))?.stripeRefundId).toMatch(/^re_/),
    );
    // The same cancellation again under a new event id: the version says it is already applied.
    const again = await payments.bus?.publish('order.cancelled', cancellation(order));
    await waitFor(() => wasProcessed(payments.database, 'payments-order-cancelled', again?.id ?? ''));

    expect(await refundCountOf(payments.emulator, paid.body.stripeId)).toBe(1);
    const listed = await listPayments(payments.app, order.cookie, order.id).expect(200);
    expect(listed.body).toEqual([{ ...paid.body, status: 'completed', stripeRefundId: expect.stringMatching(/^re_/) }]);
    expect(await findOrderRow(payments.database, order.id)).toMatchObject({ status: 'cancelled', version: 1 });
  });

  it('when the same order.cancelled event is handled twice, then Stripe refunds once', async () => {
    const order = await placeOrder(payments);
    const paid = await pay(payments.app, order.cookie, { orderId: order.id, paymentMethodId: 'pm_card_visa' });
    const listener = orderCancelledListener(payments.unitOfWork, payments.stripe);
    const event = envelope('order.cancelled', cancellation(order));
    const context = { deliveryCount: 1, logger: createTestLogger() };

    await listener.handle(event, context);
    await listener.handle(event, { ...context, deliveryCount: 2 });

    expect(await refundCountOf(payments.emulator, paid.body.stripeId)).toBe(1);
    expect((await findChargeRow(payments.database, paid.body.id))?.stripeRefundId).toMatch(/^re_/);
  });

  it('when a charge completes under the order’s lock while the cancellation waits for that lock, then the cancellation sees it and refunds it', async () => {
    const order = await placeOrder(payments);
    const paid = await pay(payments.app, order.cookie, { orderId: order.id, paymentMethodId: 'pm_card_visa' });
    expect(paid.status).toBe(201);
    // Back to the moment before Stripe's answer was recorded: the charge is not completed yet.
    await payments.database.pool.query(`update charges set status = 'created' where id = $1`, [paid.body.id]);
    // The payment records Stripe's answer under the order's row lock, as it does (pay-for-order.ts, step 3).
    const payment = await payments.database.pool.connect();
    try {
      await payment.query('begin');
      await payment.query('select id from orders where id = $1 for update', [order.id]);
      await payment.query(`update charges set status = 'completed' where id = $1`, [paid.body.id]);
      const listener = orderCancelledListener(payments.unitOfWork, payments.stripe);
      const cancelling = listener.handle(envelope('order.cancelled', cancellation(order)), {
        deliveryCount: 1,
        logger: createTestLogger(),
      });
      // The cancellation waits for the order's row lock.
      await waitUntilWaitingForLock(payments.database.pool);
      await payment.query('commit');
      await cancelling;
    } finally {
      payment.release();
    }
    expect((await findChargeRow(payments.database, paid.body.id))?.stripeRefundId).toMatch(/^re_/);
    expect(await refundCountOf(payments.emulator, paid.body.stripeId)).toBe(1);
    expect(await findOrderRow(payments.database, order.id)).toMatchObject({ status: 'cancelled', version: 1 });
  });

  it('when the order was cancelled before the payment, then the payment answers 409 and charges nothing', async () => {
    const order = await placeOrder(payments);
    await payments.bus?.publish('order.cancelled', cancellation(order));
    await waitFor(async () => expect((await findOrderRow(payments.database, order.id))?.status).toBe('cancelled'));

    const response = await pay(payments.app, order.cookie, { orderId: order.id, paymentMethodId: 'pm_card_visa' });
    expect(response.status).toBe(409);
    expect(response.body).toEqual({ errors: [{ message: 'Order was cancelled or has expired' }] });
    expect(await chargeRowsOf(payments.database, order.id)).toEqual([]);
    expect(await paymentIntentIdsOf(payments.emulator, order.id)).toEqual([]);
  });

  it('when the order is cancelled while Stripe is taking the money, then the charge is refunded at once', async () => {
    const order = await placeOrder(payments, 4200);
    const paymentIntents = payments.stripe.paymentIntents;
    const create = paymentIntents.create.bind(paymentIntents);
    jest.spyOn(paymentIntents, 'create').mockImplementationOnce(async (...args: Parameters<typeof create>) => {
      // The charge is committed, the request is on its way: the expiry cancels the order right now.
      await payments.bus?.publish('order.cancelled', cancellation(order));
      await waitFor(async () => expect((await findOrderRow(payments.database, order.id))?.status).toBe('cancelled'));
      return create(...args);
    });

    const response = await pay(payments.app, order.cookie, { orderId: order.id, paymentMethodId: 'pm_card_visa' });

    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      status: 'completed',
      amount: 4200,
      stripeRefundId: expect.stringMatching(/^re_/),
    });
    expect(await refundCountOf(payments.emulator, response.body.stripeId)).toBe(1);
    // Orders hears of the payment and keeps the order cancelled; the refund is payments' part.
    expect(await chargeEventsOf(payments.database, order.id)).toEqual([
      { id: response.body.id, orderId: order.id, status: 'completed', amount: 4200, stripeId: response.body.stripeId },
    ]);
  });

  it('when Stripe fails during the refund, then the cancellation is retried and refunds once', async () => {
    const order = await placeOrder(payments);
    const paid = await pay(payments.app, order.cookie, { orderId: order.id, paymentMethodId: 'pm_card_visa' });
    const refunds = jest
      .spyOn(payments.stripe.refunds, 'create')
      .mockRejectedValueOnce(new Stripe.errors.StripeConnectionError({ message: 'ECONNRESET', type: 'api_error' }));

    await payments.bus?.publish('order.cancelled', cancellation(order));

    await waitFor(async () =>
      expect((await findChargeRow(payments.database, paid.body.id))?.stripeRefundId).toMatch(/^re_/),
    );
    expect(refunds).toHaveBeenCalledTimes(2);
    expect(await refundCountOf(payments.emulator, paid.body.stripeId)).toBe(1);
    expect(await findOrderRow(payments.database, order.id)).toMatchObject({ status: 'cancelled', version: 1 });
  });

  it('when a declined order is cancelled, then there is nothing to refund', async () => {
    const order = await placeOrder(payments);
    await pay(payments.app, order.cookie, { orderId: order.id, paymentMethodId: 'pm_card_chargeDeclined' }).expect(402);
    const refunds = jest.spyOn(payments.stripe.refunds, 'create');

    const cancelled = await payments.bus?.publish('order.cancelled', cancellation(order));
    await waitFor(() => wasProcessed(payments.database, 'payments-order-cancelled', cancelled?.id ?? ''));

    expect(refunds).not.toHaveBeenCalled();
    expect((await chargeRowsOf(payments.database, order.id)).map((charge) => charge.stripeRefundId)).toEqual([null]);
  });
});
