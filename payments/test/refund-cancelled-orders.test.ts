import Stripe from 'stripe';
import { createTestLogger, waitFor } from '@ticketing/common/testing';
import { startChargeReconciliation } from '../src/payments/charge-reconciliation';
import { refundCancelledOrders } from '../src/payments/refund-cancelled-orders';
import { findChargeRow, givenOrder, pay, refundCountOf, usePayments } from './helpers';

const payments = usePayments();

afterEach(() => jest.restoreAllMocks());

const backstop = () => ({ unitOfWork: payments.unitOfWork, stripe: payments.stripe, logger: createTestLogger() });

/** A paid order, its charge completed. */
async function paidOrder(price = 3500) {
  const order = await givenOrder(payments.database, { price });
  const paid = await pay(payments.app, order.cookie, { orderId: order.id, paymentMethodId: 'pm_card_visa' });
  expect(paid.status).toBe(201);
  return { order, charge: paid.body as { id: string; stripeId: string } };
}

/**
 * The replica says cancelled but the refund never happened: what is left when the refund of a
 * cancellation was lost (a fault, an operator's fix, a listener that failed for good).
 */
async function cancelledWithoutRefund(orderId: string) {
  await payments.database.pool.query(`UPDATE orders SET status = 'cancelled', version = 1 WHERE id = $1`, [orderId]);
}

describe('refunding completed charges of cancelled orders (backstop)', () => {
  it('when a cancelled order still holds a completed charge, then it is refunded once, however often the backstop runs', async () => {
    const { order, charge } = await paidOrder();
    await cancelledWithoutRefund(order.id);

    const first = await refundCancelledOrders(backstop());
    const second = await refundCancelledOrders(backstop());

    expect(first.refunded).toBeGreaterThanOrEqual(1);
    expect(second.refunded).toBe(0);
    expect(await findChargeRow(payments.database, charge.id)).toMatchObject({
      status: 'completed',
      stripeRefundId: expect.stringMatching(/^re_/),
    });
    expect(await refundCountOf(payments.emulator, charge.stripeId)).toBe(1);
  });

  it('when Stripe already made the refund but its id was never stored, then the same refund is stored, not a second one', async () => {
    const { order, charge } = await paidOrder();
    const earlier = await payments.stripe.refunds.create(
      { payment_intent: charge.stripeId },
      { idempotencyKey: `refund-${charge.id}` },
    );
    await cancelledWithoutRefund(order.id);

    await refundCancelledOrders(backstop());

    expect((await findChargeRow(payments.database, charge.id))?.stripeRefundId).toBe(earlier.id);
    expect(await refundCountOf(payments.emulator, charge.stripeId)).toBe(1);
  });

  it('when the order is not cancelled, or the charge is already refunded, then nothing is asked of Stripe', async () => {
    const live = await paidOrder();
    const refundedAlready = await paidOrder();
    await cancelledWithoutRefund(refundedAlready.order.id);
    await refundCancelledOrders(backstop());
    const refunds = jest.spyOn(payments.stripe.refunds, 'create');

    await refundCancelledOrders(backstop());

    expect(refunds).not.toHaveBeenCalled();
    expect((await findChargeRow(payments.database, live.charge.id))?.stripeRefundId).toBeNull();
    expect(await refundCountOf(payments.emulator, refundedAlready.charge.stripeId)).toBe(1);
  });

  it('when the declined or failed charges of a cancelled order are all there is, then nothing is refunded', async () => {
    const order = await givenOrder(payments.database);
    await pay(payments.app, order.cookie, { orderId: order.id, paymentMethodId: 'pm_card_chargeDeclined' }).expect(402);
    await cancelledWithoutRefund(order.id);
    const refunds = jest.spyOn(payments.stripe.refunds, 'create');

    await refundCancelledOrders(backstop());

    expect(refunds).not.toHaveBeenCalled();
  });

  it('when Stripe is unreachable, then the run stops, nothing is recorded, and the next run refunds', async () => {
    const { order, charge } = await paidOrder();
    await cancelledWithoutRefund(order.id);
    jest
      .spyOn(payments.stripe.refunds, 'create')
      .mockRejectedValueOnce(new Stripe.errors.StripeConnectionError({ message: 'ECONNREFUSED', type: 'api_error' }));

    const down = await refundCancelledOrders(backstop());

    expect(down.stripeUnreachable).toBe(true);
    expect((await findChargeRow(payments.database, charge.id))?.stripeRefundId).toBeNull();

    const back = await refundCancelledOrders(backstop());

    expect(back.stripeUnreachable).toBe(false);
    expect((await findChargeRow(payments.database, charge.id))?.stripeRefundId).toMatch(/^re_/);
    expect(await refundCountOf(payments.emulator, charge.stripeId)).toBe(1);
  });

  it('when more orders wait than one batch holds, then one run refunds them all', async () => {
    const waiting = [await paidOrder(), await paidOrder(), await paidOrder()];
    for (const { order } of waiting) await cancelledWithoutRefund(order.id);

    await refundCancelledOrders(backstop(), { batchSize: 1 });

    for (const { charge } of waiting) {
      expect((await findChargeRow(payments.database, charge.id))?.stripeRefundId).toMatch(/^re_/);
    }
  });

  it('when started on a schedule, then it refunds a cancelled order without anyone asking', async () => {
    const { order, charge } = await paidOrder();
    const reconciliation = startChargeReconciliation(backstop(), { intervalMs: 50, settleAfterMs: 5 * 60_000 });
    try {
      await cancelledWithoutRefund(order.id);
      await waitFor(async () =>
        expect((await findChargeRow(payments.database, charge.id))?.stripeRefundId).toMatch(/^re_/),
      );
    } finally {
      await reconciliation.stop();
    }
    expect(await refundCountOf(payments.emulator, charge.stripeId)).toBe(1);
  });
});
