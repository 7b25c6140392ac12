import { randomUUID } from 'node:crypto';
import { sessionCookieFor } from '@ticketing/common/testing';
import { insertCharge } from '../src/db/charges';
import { failCharge } from '../src/payments/settle-charge';
import {
  chargeEventsOf,
  chargeRowsOf,
  findOrderRow,
  givenCustomer,
  givenOrder,
  pay,
  paymentIntentIdsOf,
  usePayments,
} from './helpers';

// A short wait for an order payments never hears of, so the unknown-order case stays quick.
const payments = usePayments({ env: { ORDER_REPLICA_WAIT_MS: '50' } });

afterEach(() => jest.restoreAllMocks());

describe('POST /api/payments', () => {
  it('when nobody is signed in, then it answers 401', async () => {
    const response = await pay(payments.app, undefined, { orderId: randomUUID(), paymentMethodId: 'pm_card_visa' });
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ errors: [{ message: 'Not signed in' }] });
  });

  const orderIdError = { message: 'A valid orderId is required', field: 'orderId' };
  const paymentMethodError = { message: 'A payment method is required', field: 'paymentMethodId' };
  it.each([
    ['orderId is missing', { paymentMethodId: 'pm_card_visa' }, orderIdError],
    ['orderId is not a UUID', { orderId: 'not-a-uuid', paymentMethodId: 'pm_card_visa' }, orderIdError],
    ['orderId is a number', { orderId: 42, paymentMethodId: 'pm_card_visa' }, orderIdError],
    ['paymentMethodId is missing', { orderId: randomUUID() }, paymentMethodError],
    ['paymentMethodId is empty', { orderId: randomUUID(), paymentMethodId: '' }, paymentMethodError],
    ['paymentMethodId is a number', { orderId: randomUUID(), paymentMethodId: 7 }, paymentMethodError],
    [
      'paymentMethodId is 256 characters',
      { orderId: randomUUID(), paymentMethodId: 'x'.repeat(256) },
      { message: 'Payment method must be at most 255 characters', field: 'paymentMethodId' },
    ],
  ])('when %s, then it answers 400 on that field', async (_case, body, error) => {
    const { cookie } = sessionCookieFor();
    const response = await pay(payments.app, cookie, body);
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ errors: [error] });
  });

  it('when both fields are wrong, then it answers 400 naming both', async () => {
    const { cookie } = sessionCookieFor();
    const response = await pay(payments.app, cookie, { orderId: 'x' });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([
      { message: 'A valid orderId is required', field: 'orderId' },
      { message: 'A payment method is required', field: 'paymentMethodId' },
    ]);
  });

  it('when the order is unknown (payments has not heard of it within ORDER_REPLICA_WAIT_MS), then it answers 503 with Retry-After', async () => {
    const { cookie } = sessionCookieFor();
    const response = await pay(payments.app, cookie, { orderId: randomUUID(), paymentMethodId: 'pm_card_visa' });
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('1');
    expect(response.body).toEqual({
      errors: [{ message: 'Your order is still being set up for payment; please try again in a moment' }],
    });
  });

  it('when someone else placed the order, then it answers 403 and charges nothing', async () => {
    const order = await givenOrder(payments.database);
    const { cookie } = sessionCookieFor();
    const response = await pay(payments.app, cookie, { orderId: order.id, paymentMethodId: 'pm_card_visa' });
    expect(response.status).toBe(403);
    expect(response.body).toEqual({ errors: [{ message: 'You did not place this order' }] });
    expect(await chargeRowsOf(payments.database, order.id)).toEqual([]);
  });

  it('when the order was cancelled, then it answers 409 and charges nothing', async () => {
    const order = await givenOrder(payments.database, { status: 'cancelled', version: 1 });
    const response = await pay(payments.app, order.cookie, { orderId: order.id, paymentMethodId: 'pm_card_visa' });
    expect(response.status).toBe(409);
    expect(response.body).toEqual({ errors: [{ message: 'Order was cancelled or has expired' }] });
    expect(await chargeRowsOf(payments.database, order.id)).toEqual([]);
    expect(await paymentIntentIdsOf(payments.emulator, order.id)).toEqual([]);
  });

  it('when the buyer pays with a valid card, then it answers 201 with the completed charge in cents and records charge.created', async () => {
    const order = await givenOrder(payments.database, { price: 2050 });
    await givenCustomer(payments.database, { id: order.userId, email: 'buyer@example.com', version: 0 });

    const response = await pay(payments.app, order.cookie, { orderId: order.id, paymentMethodId: 'pm_card_visa' });

    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      id: expect.any(String),
      orderId: order.id,
      status: 'completed',
      amount: 2050,
      stripeId: expect.stringMatching(/^pi_/),
      stripeRefundId: null,
    });
    expect(await chargeEventsOf(payments.database, order.id)).toEqual([
      { id: response.body.id, orderId: order.id, status: 'completed', amount: 2050, stripeId: response.body.stripeId },
    ]);
    // What Stripe was asked for: the price in cents, the receipt email, and our ids to find the charge again.
    const intent = await payments.stripe.paymentIntents.retrieve(response.body.stripeId);
    expect(intent).toMatchObject({
      status: 'succeeded',
      amount: 2050,
      currency: 'usd',
      receipt_email: 'buyer@example.com',
      metadata: { orderId: order.id, chargeId: response.body.id },
    });
  });

  it('when the buyer is not known as a customer yet, then the payment goes through without a receipt email', async () => {
    const order = await givenOrder(payments.database);
    const response = await pay(payments.app, order.cookie, { orderId: order.id, paymentMethodId: 'pm_card_visa' });
    expect(response.status).toBe(201);
    const intent = await payments.stripe.paymentIntents.retrieve(response.body.stripeId);
    expect(intent.receipt_email).toBeNull();
  });

  it('when the order is already paid, then it answers 409 and charges nothing more', async () => {
    const order = await givenOrder(payments.database);
    await pay(payments.app, order.cookie, { orderId: order.id, paymentMethodId: 'pm_card_visa' }).expect(201);

    const response = await pay(payments.app, order.cookie, { orderId: order.id, paymentMethodId: 'pm_card_visa' });
    expect(response.status).toBe(409);
    expect(response.body).toEqual({ errors: [{ message: 'Order is already paid' }] });
    expect(await paymentIntentIdsOf(payments.emulator, order.id)).toHaveLength(1);
  });

  it.each([
    ['pm_card_chargeDeclined', 'Your card was declined.'],
    ['pm_card_chargeDeclinedInsufficientFunds', 'Your card has insufficient funds.'],
  ])(
    'when the card %s is declined, then it answers 402 with the card message and records charge.created failed',
    async (paymentMethodId, message) => {
      const order = await givenOrder(payments.database, { price: 1999 });
      const response = await pay(payments.app, order.cookie, { orderId: order.id, paymentMethodId });

      expect(response.status).toBe(402);
      expect(response.body).toEqual({ errors: [{ message }] });
      const [charge] = await chargeRowsOf(payments.database, order.id);
      expect(charge).toMatchObject({ status: 'failed', amount: 1999, failureMessage: message });
      expect(charge?.stripeId).toMatch(/^pi_/);
      expect(await chargeEventsOf(payments.database, order.id)).toEqual([
        { id: charge?.id, orderId: order.id, status: 'failed', amount: 1999, stripeId: charge?.stripeId },
      ]);
    },
  );

  describe('an event that has started', () => {
    it('when the order’s event has started, then it answers 409 "The event has already started" without asking Stripe', async () => {
      // The reservation was placed in time, its event began a moment ago, and orders' cancellation at the
      // start has not come back yet: the replica still says `created`.
      const order = await givenOrder(payments.database, { startsAt: new Date(Date.now() - 1_000) });
      const create = jest.spyOn(payments.stripe.paymentIntents, 'create');

      const response = await pay(payments.app, order.cookie, { orderId: order.id, paymentMethodId: 'pm_card_visa' });

      expect(response.status).toBe(409);
      expect(response.body).toEqual({ errors: [{ message: 'The event has already started' }] });
      expect(create).not.toHaveBeenCalled();
      expect(await chargeRowsOf(payments.database, order.id)).toEqual([]);
      expect(await chargeEventsOf(payments.database, order.id)).toEqual([]);
    });

    it('when the order’s event starts later, or its start is not known, then it is paid as any other', async () => {
      const later = await givenOrder(payments.database, { startsAt: new Date(Date.now() + 60_000) });
      const unknown = await givenOrder(payments.database, { startsAt: null });
      for (const order of [later, unknown]) {
        const response = await pay(payments.app, order.cookie, { orderId: order.id, paymentMethodId: 'pm_card_visa' });
        expect(response.status).toBe(201);
      }
    });

    it('when the order was already paid before the start, then it still answers "Order is already paid"', async () => {
      const order = await givenOrder(payments.database, { startsAt: new Date(Date.now() + 60_000) });
      await pay(payments.app, order.cookie, { orderId: order.id, paymentMethodId: 'pm_card_visa' }).expect(201);
      await payments.database.pool.query(`UPDATE orders SET starts_at = now() - interval '1 second' WHERE id = $1`, [
        order.id,
      ]);

      const again = await pay(payments.app, order.cookie, { orderId: order.id, paymentMethodId: 'pm_card_visa' });

      expect(again.status).toBe(409);
      expect(again.body).toEqual({ errors: [{ message: 'Order is already paid' }] });
    });
  });

  describe('after a decline (one attempt per order)', () => {
    it('when the buyer tries another card at once, before order.cancelled is back, then it answers 409 without asking Stripe', async () => {
      const order = await givenOrder(payments.database);
      await pay(payments.app, order.cookie, { orderId: order.id, paymentMethodId: 'pm_card_chargeDeclined' }).expect(
        402,
      );
      const [declinedIntent] = await paymentIntentIdsOf(payments.emulator, order.id);
      const create = jest.spyOn(payments.stripe.paymentIntents, 'create');

      const retried = await pay(payments.app, order.cookie, { orderId: order.id, paymentMethodId: 'pm_card_visa' });

      expect(retried.status).toBe(409);
      expect(retried.body).toEqual({ errors: [{ message: 'Payment was declined; this order is cancelled' }] });
      // The replica still says `created`: orders' cancellation has not come back yet.
      expect((await findOrderRow(payments.database, order.id))?.status).toBe('created');
      expect(create).not.toHaveBeenCalled();
      expect(await paymentIntentIdsOf(payments.emulator, order.id)).toEqual([declinedIntent]);
      expect((await chargeRowsOf(payments.database, order.id)).map((charge) => charge.status)).toEqual(['failed']);
      expect(await chargeEventsOf(payments.database, order.id)).toHaveLength(1);
    });

    it('when the buyer tries the declined card again, then it answers 409 too', async () => {
      const order = await givenOrder(payments.database);
      const body = { orderId: order.id, paymentMethodId: 'pm_card_chargeDeclinedInsufficientFunds' };
      await pay(payments.app, order.cookie, body).expect(402);
      const again = await pay(payments.app, order.cookie, body);
      expect(again.status).toBe(409);
      expect(await paymentIntentIdsOf(payments.emulator, order.id)).toHaveLength(1);
    });

    it('when the decline arrived by webhook (the answer was lost), then a later attempt answers 409 too', async () => {
      const order = await givenOrder(payments.database);
      const charge = await insertCharge(payments.database.db, {
        orderId: order.id,
        amount: order.price,
        paymentMethodId: 'pm_card_chargeDeclined',
        receiptEmail: null,
        attemptExpiresAt: null,
      });
      await payments.unitOfWork.transaction((tx, events) =>
        failCharge(tx, events, charge.id, { stripeId: 'pi_declined', failureMessage: 'Your card was declined.' }),
      );
      const create = jest.spyOn(payments.stripe.paymentIntents, 'create');

      const response = await pay(payments.app, order.cookie, { orderId: order.id, paymentMethodId: 'pm_card_visa' });

      expect(response.status).toBe(409);
      expect(create).not.toHaveBeenCalled();
    });

    it('when the declined order belongs to someone else, then it still answers 403, not 409', async () => {
      const order = await givenOrder(payments.database);
      await pay(payments.app, order.cookie, { orderId: order.id, paymentMethodId: 'pm_card_chargeDeclined' }).expect(
        402,
      );
      const response = await pay(payments.app, sessionCookieFor().cookie, {
        orderId: order.id,
        paymentMethodId: 'pm_card_visa',
      });
      expect(response.status).toBe(403);
    });
  });

  describe('amounts Stripe cannot charge', () => {
    it.each([
      [49, "This order's price of $0.49 cannot be paid by card: payments must be between $0.50 and $999,999.99"],
      [
        100_000_000,
        "This order's price of $1,000,000.00 cannot be paid by card: payments must be between $0.50 and $999,999.99",
      ],
    ])(
      'when the order costs %i cents, then it answers 409 naming the range, and Stripe is never asked',
      async (price, message) => {
        const order = await givenOrder(payments.database, { price });
        const create = jest.spyOn(payments.stripe.paymentIntents, 'create');

        const response = await pay(payments.app, order.cookie, { orderId: order.id, paymentMethodId: 'pm_card_visa' });

        expect(response.status).toBe(409);
        expect(response.body).toEqual({ errors: [{ message }] });
        expect(create).not.toHaveBeenCalled();
        expect(await chargeRowsOf(payments.database, order.id)).toEqual([]);
      },
    );

    it.each([[50], [99_999_999]])(
      'when the order costs %i cents (an end of the range), then it is charged',
      async (price) => {
        const order = await givenOrder(payments.database, { price });
        const response = await pay(payments.app, order.cookie, { orderId: order.id, paymentMethodId: 'pm_card_visa' });
        expect(response.status).toBe(201);
        expect(response.body).toMatchObject({ status: 'completed', amount: price });
      },
    );
  });

  it('when Stripe does not know the payment method, then it answers 400 on that field and the order stays payable', async () => {
    const order = await givenOrder(payments.database);
    const response = await pay(payments.app, order.cookie, { orderId: order.id, paymentMethodId: 'pm_no_such_card' });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      errors: [{ message: "No such PaymentMethod: 'pm_no_such_card'", field: 'paymentMethodId' }],
    });
    // Nothing was declined: orders is not told, and a valid card still pays.
    expect(await chargeEventsOf(payments.database, order.id)).toEqual([]);
    await pay(payments.app, order.cookie, { orderId: order.id, paymentMethodId: 'pm_card_visa' }).expect(201);
  });

  it('when two payments for one order race, then one is 201, the other 409, and one charge completes', async () => {
    const order = await givenOrder(payments.database);
    const body = { orderId: order.id, paymentMethodId: 'pm_card_visa' };
    const responses = await Promise.all([pay(payments.app, order.cookie, body), pay(payments.app, order.cookie, body)]);

    expect(responses.map((response) => response.status).sort()).toEqual([201, 409]);
    const charges = await chargeRowsOf(payments.database, order.id);
    expect(charges.map((charge) => charge.status)).toEqual(['completed']);
    expect(await paymentIntentIdsOf(payments.emulator, order.id)).toEqual([charges[0]?.stripeId]);
    expect(await chargeEventsOf(payments.database, order.id)).toHaveLength(1);
  });

  it('when the body is not JSON, then it answers 400', async () => {
    const { cookie } = sessionCookieFor();
    const response = await pay(payments.app, cookie, {}).set('Content-Type', 'application/json').send('{"orderId":');
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ errors: [{ message: 'Request body is not valid JSON' }] });
  });
});
