import Stripe from 'stripe';
import { startStripeEmulator } from '@ticketing/stripe-emulator';
import { chargeEventsOf, chargeRowsOf, givenOrder, pay, paymentIntentIdsOf, usePayments } from './helpers';

const payments = usePayments();

afterEach(() => jest.restoreAllMocks());

describe('when Stripe gives no answer', () => {
  it('when the emulator is down, then it answers 503, and a retry once it is back resumes the same charge and pays once', async () => {
    const order = await givenOrder(payments.database, { price: 3100 });
    const body = { orderId: order.id, paymentMethodId: 'pm_card_visa' };
    const { port } = payments.emulator;
    await payments.emulator.close();

    const down = await pay(payments.app, order.cookie, body);
    expect(down.status).toBe(503);
    expect(down.body).toEqual({ errors: [{ message: 'Payment could not be completed, please try again' }] });
    const [pending] = await chargeRowsOf(payments.database, order.id);
    expect(pending).toMatchObject({ status: 'created', amount: 3100, stripeId: null, attemptExpiresAt: null });
    expect(await chargeEventsOf(payments.database, order.id)).toEqual([]);

    // Back on the same address (the service's client is configured with it).
    payments.emulator = await startStripeEmulator({ port });
    const retried = await pay(payments.app, order.cookie, body);

    expect(retried.status).toBe(201);
    expect(retried.body).toMatchObject({ id: pending?.id, status: 'completed', amount: 3100 });
    expect(await chargeRowsOf(payments.database, order.id)).toHaveLength(1);
    expect(await paymentIntentIdsOf(payments.emulator, order.id)).toEqual([retried.body.stripeId]);
    expect(await chargeEventsOf(payments.database, order.id)).toEqual([
      { id: pending?.id, orderId: order.id, status: 'completed', amount: 3100, stripeId: retried.body.stripeId },
    ]);
  });

  it('when Stripe took the money but its answer was lost, then the retry gets the same PaymentIntent and nothing is charged twice', async () => {
    const order = await givenOrder(payments.database);
    const body = { orderId: order.id, paymentMethodId: 'pm_card_visa' };
    const paymentIntents = payments.stripe.paymentIntents;
    const create = paymentIntents.create.bind(paymentIntents);
    jest.spyOn(paymentIntents, 'create').mockImplementationOnce(async (...args: Parameters<typeof create>) => {
      await create(...args);
      throw new Stripe.errors.StripeConnectionError({ message: 'socket hang up', type: 'api_error' });
    });

    await pay(payments.app, order.cookie, body).expect(503);
    const [pending] = await chargeRowsOf(payments.database, order.id);
    expect(pending?.status).toBe('created');
    const [charged] = await paymentIntentIdsOf(payments.emulator, order.id);
    expect(charged).toMatch(/^pi_/);

    const retried = await pay(payments.app, order.cookie, body);
    expect(retried.status).toBe(201);
    expect(retried.body).toMatchObject({ id: pending?.id, status: 'completed', stripeId: charged });
    expect(await paymentIntentIdsOf(payments.emulator, order.id)).toEqual([charged]);
  });

  it('when the retry names another card, then the unfinished attempt is still resumed with the first card', async () => {
    const order = await givenOrder(payments.database);
    const paymentIntents = payments.stripe.paymentIntents;
    jest
      .spyOn(paymentIntents, 'create')
      .mockRejectedValueOnce(new Stripe.errors.StripeConnectionError({ message: 'ECONNRESET', type: 'api_error' }));
    await pay(payments.app, order.cookie, { orderId: order.id, paymentMethodId: 'pm_card_visa' }).expect(503);

    // The first request may have reached Stripe: its outcome must be learnt before another card is tried.
    const retried = await pay(payments.app, order.cookie, {
      orderId: order.id,
      paymentMethodId: 'pm_card_chargeDeclined',
    });
    expect(retried.status).toBe(201);
    const intent = await paymentIntents.retrieve(retried.body.stripeId);
    expect(intent.payment_method).toBe('pm_card_visa');
  });
});
