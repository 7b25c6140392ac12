import Stripe from 'stripe';
import { buildPaymentIntentParams, rawPaymentIntentOf, rejectionOf, useStripeEmulator } from './helpers';

describe('Refunds through the real Stripe SDK', () => {
  const context = useStripeEmulator();

  async function succeededPaymentIntent(amount = 2000): Promise<Stripe.PaymentIntent> {
    return context.stripe.paymentIntents.create(buildPaymentIntentParams({ amount }));
  }

  it('when a succeeded PaymentIntent is refunded, then the whole amount is refunded at once', async () => {
    const paymentIntent = await succeededPaymentIntent(2000);

    const refund = await context.stripe.refunds.create({ payment_intent: paymentIntent.id });

    expect(refund).toMatchObject({
      object: 'refund',
      amount: 2000,
      currency: 'usd',
      status: 'succeeded',
      payment_intent: paymentIntent.id,
      charge: paymentIntent.latest_charge,
    });
    expect(refund.id).toMatch(/^re_\w{24}$/);
    expect(typeof refund.created).toBe('number');
  });

  it('when it is refunded a second time, then 400 charge_already_refunded', async () => {
    const paymentIntent = await succeededPaymentIntent();
    await context.stripe.refunds.create({ payment_intent: paymentIntent.id });

    const error = await rejectionOf<Stripe.errors.StripeInvalidRequestError>(
      context.stripe.refunds.create({ payment_intent: paymentIntent.id }),
    );

    expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(error.statusCode).toBe(400);
    expect(error.code).toBe('charge_already_refunded');
    expect(error.message).toBe(`Charge ${String(paymentIntent.latest_charge)} has already been refunded.`);
  });

  it('when partial refunds add up, then more than what remains is refused and the rest can still be refunded', async () => {
    const paymentIntent = await succeededPaymentIntent(2000);
    const first = await context.stripe.refunds.create({ payment_intent: paymentIntent.id, amount: 500 });
    expect(first.amount).toBe(500);

    const tooMuch = await rejectionOf<Stripe.errors.StripeInvalidRequestError>(
      context.stripe.refunds.create({ payment_intent: paymentIntent.id, amount: 1600 }),
    );
    expect(tooMuch.statusCode).toBe(400);
    expect(tooMuch.code).toBe('amount_too_large');
    expect(tooMuch.param).toBe('amount');
    expect(tooMuch.message).toBe('Refund amount ($16.00) is greater than unrefunded amount on charge ($15.00)');

    const rest = await context.stripe.refunds.create({ payment_intent: paymentIntent.id });
    expect(rest.amount).toBe(1500);
    const nothingLeft = await rejectionOf(
      context.stripe.refunds.create({ payment_intent: paymentIntent.id, amount: 1 }),
    );
    expect(nothingLeft.code).toBe('charge_already_refunded');
  });

  it('when the PaymentIntent did not succeed, then 400 and no refund', async () => {
    const decline = await rejectionOf<Stripe.errors.StripeCardError>(
      context.stripe.paymentIntents.create(buildPaymentIntentParams({ payment_method: 'pm_card_chargeDeclined' })),
    );
    const declined = rawPaymentIntentOf(decline);

    const error = await rejectionOf<Stripe.errors.StripeInvalidRequestError>(
      context.stripe.refunds.create({ payment_intent: declined.id }),
    );

    expect(error.statusCode).toBe(400);
    expect(error.type).toBe('StripeInvalidRequestError');
    expect(error.message).toBe(`This PaymentIntent (${declined.id}) does not have a successful charge to refund.`);
  });

  it('when the PaymentIntent does not exist, then 400 resource_missing on param payment_intent', async () => {
    const error = await rejectionOf<Stripe.errors.StripeInvalidRequestError>(
      context.stripe.refunds.create({ payment_intent: 'pi_unknown' }),
    );

    expect(error.statusCode).toBe(400);
    expect(error.code).toBe('resource_missing');
    expect(error.param).toBe('payment_intent');
  });

  it('when neither payment_intent nor charge is given, then 400 parameter_missing', async () => {
    const error = await rejectionOf<Stripe.errors.StripeInvalidRequestError>(context.stripe.refunds.create({}));

    expect(error.statusCode).toBe(400);
    expect(error.code).toBe('parameter_missing');
  });

  it('when a refund is retrieved, then it is returned as created; an unknown one is 404', async () => {
    const paymentIntent = await succeededPaymentIntent();
    const refund = await context.stripe.refunds.create({
      payment_intent: paymentIntent.id,
      reason: 'requested_by_customer',
      metadata: { orderId: 'order-refund' },
    });

    const retrieved = await context.stripe.refunds.retrieve(refund.id);

    expect(retrieved).toEqual(refund);
    expect(retrieved).toMatchObject({ reason: 'requested_by_customer', metadata: { orderId: 'order-refund' } });
    const missing = await rejectionOf<Stripe.errors.StripeInvalidRequestError>(
      context.stripe.refunds.retrieve('re_nope'),
    );
    expect(missing.statusCode).toBe(404);
    expect(missing.code).toBe('resource_missing');
  });

  it('when the charge id is given instead of the PaymentIntent, then that charge is refunded', async () => {
    const paymentIntent = await succeededPaymentIntent(1234);

    const refund = await context.stripe.refunds.create({ charge: String(paymentIntent.latest_charge) });

    expect(refund).toMatchObject({ amount: 1234, payment_intent: paymentIntent.id });
  });
});
