import Stripe from 'stripe';
import { createTestLogger, waitFor } from '@ticketing/common/testing';
import { startStripeEmulator } from '@ticketing/stripe-emulator';
import { startChargeReconciliation } from '../src/payments/charge-reconciliation';
import { settleUnknownCharges } from '../src/payments/settle-unknown-charges';
import {
  chargeEventsOf,
  chargeRowsOf,
  findChargeRow,
  givenOrder,
  pay,
  paymentIntentIdsOf,
  refundCountOf,
  usePayments,
} from './helpers';

// No webhooks here: the backstop is for charges whose answer and webhook were both lost.
const payments = usePayments();

afterEach(() => jest.restoreAllMocks());

const SETTLE_AFTER_MS = 5 * 60_000;
const backstop = () => ({ unitOfWork: payments.unitOfWork, stripe: payments.stripe, logger: createTestLogger() });
const settle = () => settleUnknownCharges(backstop(), { settleAfterMs: SETTLE_AFTER_MS });

/** How the payment request to Stripe ends, seen from payments: never an answer. */
type LostRequest = 'reached Stripe' | 'never reached Stripe';

/**
 * A payment attempt that got no answer (503), so its charge stays `created` with no attempt in flight,
 * made (created and last sent to Stripe) `ageMs` ago. With 'reached Stripe' the PaymentIntent was created and confirmed all the same.
 */
async function unansweredPayment(
  lost: LostRequest,
  { paymentMethodId = 'pm_card_visa', price = 2700, ageMs = SETTLE_AFTER_MS + 60_000 } = {},
) {
  const order = await givenOrder(payments.database, { price });
  const paymentIntents = payments.stripe.paymentIntents;
  const create = paymentIntents.create.bind(paymentIntents);
  jest.spyOn(paymentIntents, 'create').mockImplementationOnce(async (...args: Parameters<typeof create>) => {
    if (lost === 'reached Stripe') await create(...args).catch(() => undefined);
    throw new Stripe.errors.StripeConnectionError({ message: 'socket hang up', type: 'api_error' });
  });
  await pay(payments.app, order.cookie, { orderId: order.id, paymentMethodId }).expect(503);
  jest.restoreAllMocks();
  const [charge] = await chargeRowsOf(payments.database, order.id);
  if (!charge) throw new Error('the attempt left no charge');
  await payments.database.pool.query(
    `UPDATE charges SET created_at = now() - make_interval(secs => $2::double precision / 1000),
       last_attempt_at = now() - make_interval(secs => $2::double precision / 1000) WHERE id = $1`,
    [charge.id, ageMs],
  );
  return { order, charge };
}

describe('settling charges whose outcome is unknown (backstop)', () => {
  it('when Stripe took the money but the answer and the webhook were lost, then the charge completes and orders is told', async () => {
    const { order, charge } = await unansweredPayment('reached Stripe', { price: 2700 });
    const [paymentIntentId] = await paymentIntentIdsOf(payments.emulator, order.id);

    const summary = await settle();

    expect(summary.completed).toBeGreaterThanOrEqual(1);
    expect(await findChargeRow(payments.database, charge.id)).toMatchObject({
      status: 'completed',
      stripeId: paymentIntentId,
      stripeRefundId: null,
    });
    expect(await chargeEventsOf(payments.database, order.id)).toEqual([
      { id: charge.id, orderId: order.id, status: 'completed', amount: 2700, stripeId: paymentIntentId },
    ]);
    // The buyer sees it paid.
    const again = await pay(payments.app, order.cookie, { orderId: order.id, paymentMethodId: 'pm_card_visa' });
    expect(again.status).toBe(409);
    expect(again.body).toEqual({ errors: [{ message: 'Order is already paid' }] });
  });

  it('when Stripe took the money for an order cancelled meanwhile, then the charge completes and is refunded once', async () => {
    const { order, charge } = await unansweredPayment('reached Stripe');
    await payments.database.pool.query(`UPDATE orders SET status = 'cancelled', version = 1 WHERE id = $1`, [order.id]);

    await settle();
    await settle();

    const settled = await findChargeRow(payments.database, charge.id);
    expect(settled).toMatchObject({ status: 'completed', stripeRefundId: expect.stringMatching(/^re_/) });
    expect(await refundCountOf(payments.emulator, settled?.stripeId ?? '')).toBe(1);
  });

  it('when Stripe declined the card but the answer was lost, then the charge fails as declined, orders is told, and the order is not payable', async () => {
    const { order, charge } = await unansweredPayment('reached Stripe', {
      paymentMethodId: 'pm_card_chargeDeclined',
      price: 1900,
    });
    const [paymentIntentId] = await paymentIntentIdsOf(payments.emulator, order.id);

    await settle();

    expect(await findChargeRow(payments.database, charge.id)).toMatchObject({
      status: 'failed',
      failureKind: 'declined',
      failureMessage: 'Your card was declined.',
      stripeId: paymentIntentId,
    });
    expect(await chargeEventsOf(payments.database, order.id)).toEqual([
      { id: charge.id, orderId: order.id, status: 'failed', amount: 1900, stripeId: paymentIntentId },
    ]);
    const retried = await pay(payments.app, order.cookie, { orderId: order.id, paymentMethodId: 'pm_card_visa' });
    expect(retried.status).toBe(409);
    expect(retried.body).toEqual({ errors: [{ message: 'Payment was declined; this order is cancelled' }] });
  });

  it('when the request never reached Stripe, then the charge fails as never sent, orders is not told, and the buyer can pay again', async () => {
    const { order, charge } = await unansweredPayment('never reached Stripe', { price: 2200 });
    expect(await paymentIntentIdsOf(payments.emulator, order.id)).toEqual([]);

    await settle();

    expect(await findChargeRow(payments.database, charge.id)).toMatchObject({
      status: 'failed',
      failureKind: 'never_sent',
      stripeId: null,
    });
    expect(await chargeEventsOf(payments.database, order.id)).toEqual([]);
    const paid = await pay(payments.app, order.cookie, { orderId: order.id, paymentMethodId: 'pm_card_visa' });
    expect(paid.status).toBe(201);
    expect(paid.body).toMatchObject({ status: 'completed', amount: 2200 });
    expect(paid.body.id).not.toBe(charge.id);
  });

  it('when Stripe is still processing the payment, then the charge is left for the next run', async () => {
    const { order, charge } = await unansweredPayment('never reached Stripe');
    const processing = {
      id: 'pi_processing',
      status: 'processing',
      metadata: { orderId: order.id, chargeId: charge.id },
    } as unknown as Stripe.PaymentIntent;
    // The emulator has no card that stays processing (nor has Stripe's test mode): Stripe's answer is given here.
    const search = jest.spyOn(payments.stripe.paymentIntents, 'search').mockResolvedValue({
      object: 'search_result',
      data: [processing],
      has_more: false,
      next_page: null,
      url: '/v1/payment_intents/search',
    } as never);

    const summary = await settle();

    expect(search).toHaveBeenCalledWith(expect.objectContaining({ query: `metadata['chargeId']:'${charge.id}'` }));
    expect(summary.processing).toBeGreaterThanOrEqual(1);
    expect(await findChargeRow(payments.database, charge.id)).toMatchObject({ status: 'created', stripeId: null });
    expect(await chargeEventsOf(payments.database, order.id)).toEqual([]);
  });

  it('when the charge is younger than the settle-after age, or its attempt is in flight, then it is not looked at', async () => {
    const young = await unansweredPayment('never reached Stripe', { ageMs: SETTLE_AFTER_MS - 60_000 });
    const inFlight = await unansweredPayment('never reached Stripe');
    await payments.database.pool.query(
      `UPDATE charges SET attempt_expires_at = now() + interval '1 minute' WHERE id = $1`,
      [inFlight.charge.id],
    );
    const search = jest.spyOn(payments.stripe.paymentIntents, 'search');

    await settle();

    const searched = search.mock.calls.map(([params]) => params?.query ?? '');
    expect(searched.filter((query) => query.includes(young.charge.id) || query.includes(inFlight.charge.id))).toEqual(
      [],
    );
    expect(await findChargeRow(payments.database, young.charge.id)).toMatchObject({ status: 'created' });
    expect(await findChargeRow(payments.database, inFlight.charge.id)).toMatchObject({ status: 'created' });
  });

  it('when an old charge was retried a moment ago and Stripe’s search does not show that attempt yet, then it is not judged never sent (aged from its last attempt, not its creation)', async () => {
    // The first attempt never reached Stripe, long ago; the buyer came back a minute ago and that attempt
    // did reach Stripe (it took the money), but its answer was lost too.
    const { order, charge } = await unansweredPayment('never reached Stripe', { ageMs: 30 * 60_000 });
    const paymentIntents = payments.stripe.paymentIntents;
    const create = paymentIntents.create.bind(paymentIntents);
    jest.spyOn(paymentIntents, 'create').mockImplementationOnce(async (...args: Parameters<typeof create>) => {
      await create(...args);
      throw new Stripe.errors.StripeConnectionError({ message: 'socket hang up', type: 'api_error' });
    });
    await pay(payments.app, order.cookie, { orderId: order.id, paymentMethodId: 'pm_card_visa' }).expect(503);
    jest.restoreAllMocks();
    expect(await paymentIntentIdsOf(payments.emulator, order.id)).toHaveLength(1);
    // Stripe's search lags behind writes: a PaymentIntent created a minute ago may not be found yet.
    jest.spyOn(payments.stripe.paymentIntents, 'search').mockResolvedValue({
      object: 'search_result',
      data: [],
      has_more: false,
      next_page: null,
      url: '/v1/payment_intents/search',
    } as never);

    await settle();

    expect(await findChargeRow(payments.database, charge.id)).toMatchObject({ status: 'created', failureKind: null });
    // So the buyer's next attempt resumes that charge (Stripe answers with the payment it took), never a second one.
    jest.restoreAllMocks();
    const paid = await pay(payments.app, order.cookie, { orderId: order.id, paymentMethodId: 'pm_card_visa' });
    expect(paid.status).toBe(201);
    expect(paid.body.id).toBe(charge.id);
    expect(await paymentIntentIdsOf(payments.emulator, order.id)).toHaveLength(1);
  });

  it('when the charge is already settled, then the backstop leaves it alone', async () => {
    const order = await givenOrder(payments.database);
    const paid = await pay(payments.app, order.cookie, { orderId: order.id, paymentMethodId: 'pm_card_visa' });
    await payments.database.pool.query(`UPDATE charges SET created_at = now() - interval '1 hour' WHERE id = $1`, [
      paid.body.id,
    ]);
    const search = jest.spyOn(payments.stripe.paymentIntents, 'search');

    await settle();

    expect(search.mock.calls.map(([params]) => params?.query)).not.toContainEqual(
      expect.stringContaining(paid.body.id),
    );
    expect(await chargeEventsOf(payments.database, order.id)).toHaveLength(1);
  });

  it('when more charges wait than one batch holds, then one run settles them all', async () => {
    const waiting = [];
    for (let index = 0; index < 3; index += 1) waiting.push(await unansweredPayment('never reached Stripe'));

    await settleUnknownCharges(backstop(), { settleAfterMs: SETTLE_AFTER_MS, batchSize: 1 });

    for (const { charge } of waiting) {
      expect(await findChargeRow(payments.database, charge.id)).toMatchObject({ failureKind: 'never_sent' });
    }
  });

  it('when started on a schedule, then it settles a waiting charge without anyone asking', async () => {
    const { charge } = await unansweredPayment('reached Stripe');
    const reconciliation = startChargeReconciliation(backstop(), { intervalMs: 50, settleAfterMs: SETTLE_AFTER_MS });
    try {
      await waitFor(async () =>
        expect(await findChargeRow(payments.database, charge.id)).toMatchObject({ status: 'completed' }),
      );
    } finally {
      await reconciliation.stop();
    }
  });

  // Last: it restarts the emulator, which forgets every PaymentIntent made before.
  it('when Stripe is unreachable, then the run stops, the charge stays as it was, and the next run settles it', async () => {
    const { charge } = await unansweredPayment('never reached Stripe');
    const { port } = payments.emulator;
    await payments.emulator.close();
    try {
      const summary = await settle();

      expect(summary.stripeUnreachable).toBe(true);
      expect(await findChargeRow(payments.database, charge.id)).toMatchObject({ status: 'created', stripeId: null });
    } finally {
      payments.emulator = await startStripeEmulator({ port });
    }

    const summary = await settle();

    expect(summary.stripeUnreachable).toBe(false);
    expect(await findChargeRow(payments.database, charge.id)).toMatchObject({
      status: 'failed',
      failureKind: 'never_sent',
    });
  });
});
