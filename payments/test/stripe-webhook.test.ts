import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import request from 'supertest';
import Stripe from 'stripe';
import { waitFor } from '@ticketing/common/testing';
import { insertCharge, settleCharge } from '../src/db/charges';
import { stripeEvents } from '../src/db/schema';
import {
  chargeEventsOf,
  chargeRowsOf,
  emulatorEvents,
  findChargeRow,
  givenOrder,
  pay,
  refundCountOf,
  usePayments,
  type PaymentsTestDatabase,
} from './helpers';

const payments = usePayments({ webhooks: true });
const secret = 'whsec_ticketing_local_emulator';

afterEach(() => jest.restoreAllMocks());

/** A charge whose payment request never got an answer: still `created`, no PaymentIntent id known. */
async function givenPendingCharge(database: PaymentsTestDatabase, price = 2050) {
  const order = await givenOrder(database, { price });
  const charge = await insertCharge(database.db, {
    orderId: order.id,
    amount: price,
    paymentMethodId: 'pm_card_visa',
    receiptEmail: null,
    attemptExpiresAt: null,
  });
  return { order, charge };
}

/** A Stripe event as Stripe sends it, about a PaymentIntent of one of our charges. */
function paymentIntentEvent(
  type: string,
  charge: { id: string; orderId: string; amount: number },
  intent: Record<string, unknown> = {},
) {
  return JSON.stringify({
    id: `evt_${randomUUID().replace(/-/g, '')}`,
    object: 'event',
    type,
    created: Math.floor(Date.now() / 1000),
    data: {
      object: {
        id: `pi_${randomUUID().replace(/-/g, '').slice(0, 24)}`,
        object: 'payment_intent',
        amount: charge.amount,
        currency: 'usd',
        metadata: { orderId: charge.orderId, chargeId: charge.id },
        last_payment_error: null,
        ...intent,
      },
    },
  });
}

function deliver(payload: string, signature = Stripe.webhooks.generateTestHeaderString({ payload, secret })) {
  return request(payments.app)
    .post('/api/payments/webhook')
    .set('Content-Type', 'application/json')
    .set('Stripe-Signature', signature)
    .send(payload);
}

describe('POST /api/payments/webhook', () => {
  it("when the payment answer was lost, then the emulator's payment_intent.succeeded completes the charge", async () => {
    const order = await givenOrder(payments.database, { price: 5000 });
    const paymentIntents = payments.stripe.paymentIntents;
    const create = paymentIntents.create.bind(paymentIntents);
    jest.spyOn(paymentIntents, 'create').mockImplementationOnce(async (...args: Parameters<typeof create>) => {
      await create(...args);
      throw new Stripe.errors.StripeConnectionError({ message: 'socket hang up', type: 'api_error' });
    });

    await pay(payments.app, order.cookie, { orderId: order.id, paymentMethodId: 'pm_card_visa' }).expect(503);

    await waitFor(async () =>
      expect(await chargeRowsOf(payments.database, order.id)).toEqual([
        expect.objectContaining({ status: 'completed', amount: 5000, stripeId: expect.stringMatching(/^pi_/) }),
      ]),
    );
    const [charge] = await chargeRowsOf(payments.database, order.id);
    expect(await chargeEventsOf(payments.database, order.id)).toEqual([
      { id: charge?.id, orderId: order.id, status: 'completed', amount: 5000, stripeId: charge?.stripeId },
    ]);
  });

  it('when a payment succeeds normally, then its webhook finds the charge settled and records nothing more', async () => {
    const order = await givenOrder(payments.database);
    const paid = await pay(payments.app, order.cookie, { orderId: order.id, paymentMethodId: 'pm_card_visa' });
    expect(paid.status).toBe(201);
    const [succeeded] = (await emulatorEvents(payments.emulator, 'payment_intent.succeeded')).filter(
      (event) => event.data.object.id === paid.body.stripeId,
    );
    // The emulator's delivery is recorded once it has been handled.
    await waitFor(async () =>
      expect(
        await payments.database.db
          .select()
          .from(stripeEvents)
          .where(eq(stripeEvents.id, succeeded?.id ?? '')),
      ).toHaveLength(1),
    );
    expect(await findChargeRow(payments.database, paid.body.id)).toMatchObject({ status: 'completed' });
    expect(await chargeEventsOf(payments.database, order.id)).toHaveLength(1);
  });

  it('when a valid event is delivered twice, then it is handled once', async () => {
    const { order, charge } = await givenPendingCharge(payments.database);
    const payload = paymentIntentEvent('payment_intent.succeeded', charge);

    const first = await deliver(payload);
    const second = await deliver(payload);

    expect([first.status, second.status]).toEqual([200, 200]);
    expect(first.body).toEqual({ received: true });
    expect(await findChargeRow(payments.database, charge.id)).toMatchObject({
      status: 'completed',
      stripeId: JSON.parse(payload).data.object.id,
    });
    expect(await chargeEventsOf(payments.database, order.id)).toHaveLength(1);
  });

  it('when payment_intent.payment_failed arrives for a pending charge, then it fails with the card message and orders is told', async () => {
    const { order, charge } = await givenPendingCharge(payments.database, 1500);
    const payload = paymentIntentEvent('payment_intent.payment_failed', charge, {
      last_payment_error: { type: 'card_error', code: 'card_declined', message: 'Your card has insufficient funds.' },
    });

    await deliver(payload).expect(200);

    const stripeId = JSON.parse(payload).data.object.id;
    expect(await findChargeRow(payments.database, charge.id)).toMatchObject({
      status: 'failed',
      failureMessage: 'Your card has insufficient funds.',
      stripeId,
    });
    expect(await chargeEventsOf(payments.database, order.id)).toEqual([
      { id: charge.id, orderId: order.id, status: 'failed', amount: 1500, stripeId },
    ]);
  });

  it('when the order was cancelled before the succeeded webhook, then the charge is completed and refunded', async () => {
    const order = await givenOrder(payments.database);
    const paymentIntents = payments.stripe.paymentIntents;
    const create = paymentIntents.create.bind(paymentIntents);
    // Stripe takes the money, the answer is lost, and the order expires before the webhook arrives.
    jest.spyOn(paymentIntents, 'create').mockImplementationOnce(async (...args: Parameters<typeof create>) => {
      await payments.database.pool.query(`UPDATE orders SET status = 'cancelled', version = 1 WHERE id = $1`, [
        order.id,
      ]);
      await create(...args);
      throw new Stripe.errors.StripeConnectionError({ message: 'socket hang up', type: 'api_error' });
    });

    await pay(payments.app, order.cookie, { orderId: order.id, paymentMethodId: 'pm_card_visa' }).expect(503);

    await waitFor(async () =>
      expect((await chargeRowsOf(payments.database, order.id))[0]?.stripeRefundId).toMatch(/^re_/),
    );
    const [charge] = await chargeRowsOf(payments.database, order.id);
    expect(charge?.status).toBe('completed');
    expect(await refundCountOf(payments.emulator, charge?.stripeId ?? '')).toBe(1);
  });

  it('when a payment turns up for a charge the backstop settled as never sent (search lagged), then it is refunded, not kept', async () => {
    const { order, charge } = await givenPendingCharge(payments.database, 2600);
    await settleCharge(payments.database.db, charge.id, {
      status: 'failed',
      failureKind: 'never_sent',
      stripeId: null,
      failureMessage: 'The payment request never reached Stripe',
    });
    // Stripe had the request after all: the PaymentIntent exists and took the money.
    const intent = await payments.stripe.paymentIntents.create(
      {
        amount: 2600,
        currency: 'usd',
        payment_method: 'pm_card_visa',
        confirm: true,
        automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
        metadata: { orderId: order.id, chargeId: charge.id },
      },
      { idempotencyKey: `charge-${charge.id}` },
    );

    await waitFor(async () =>
      expect((await findChargeRow(payments.database, charge.id))?.stripeRefundId).toMatch(/^re_/),
    );
    expect(await findChargeRow(payments.database, charge.id)).toMatchObject({
      status: 'failed',
      failureKind: 'never_sent',
      stripeId: intent.id,
    });
    expect(await refundCountOf(payments.emulator, intent.id)).toBe(1);
    // Orders hears nothing: for it there was never a payment.
    expect(await chargeEventsOf(payments.database, order.id)).toEqual([]);
  });

  it('when the event is of another type, then it answers 200 and changes nothing', async () => {
    const { charge } = await givenPendingCharge(payments.database);
    const payload = paymentIntentEvent('payment_intent.created', charge);
    await deliver(payload).expect(200, { received: true });
    expect(await findChargeRow(payments.database, charge.id)).toMatchObject({ status: 'created', stripeId: null });
  });

  it('when the PaymentIntent is not one of ours, then it answers 200 and changes nothing', async () => {
    const { charge } = await givenPendingCharge(payments.database);
    const foreign = paymentIntentEvent('payment_intent.succeeded', { ...charge, id: 'someone-else' });
    await deliver(foreign).expect(200);
    const unknown = paymentIntentEvent('payment_intent.succeeded', { ...charge, id: randomUUID() });
    await deliver(unknown).expect(200);
    expect(await findChargeRow(payments.database, charge.id)).toMatchObject({ status: 'created' });
  });

  it.each([
    [
      'signed with another secret',
      (payload: string) => Stripe.webhooks.generateTestHeaderString({ payload, secret: 'whsec_forged' }),
    ],
    [
      'signed over other bytes',
      (payload: string) => Stripe.webhooks.generateTestHeaderString({ payload: `${payload} `, secret }),
    ],
    [
      'signed too long ago',
      (payload: string) =>
        Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp: Math.floor(Date.now() / 1000) - 3600 }),
    ],
    ['with a garbage signature', () => 't=1,v1=deadbeef'],
  ])('when the event is %s, then it answers 400 and changes nothing', async (_case, sign) => {
    const { charge } = await givenPendingCharge(payments.database);
    const payload = paymentIntentEvent('payment_intent.succeeded', charge);
    const response = await deliver(payload, sign(payload));
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ errors: [{ message: 'Invalid signature' }] });
    expect(await findChargeRow(payments.database, charge.id)).toMatchObject({ status: 'created' });
  });

  it('when the Stripe-Signature header is missing, then it answers 400', async () => {
    const response = await request(payments.app)
      .post('/api/payments/webhook')
      .set('Content-Type', 'application/json')
      .send('{"id":"evt_1"}');
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ errors: [{ message: 'Invalid signature' }] });
  });

  it('when the body is not JSON, then it answers 400', async () => {
    const response = await deliver('{"id":');
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ errors: [{ message: 'Request body is not valid JSON' }] });
  });
});
