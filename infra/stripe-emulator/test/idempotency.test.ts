import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import {
  buildPaymentIntentParams,
  rawPaymentIntentOf,
  listEmulatorEvents,
  rejectionOf,
  stripeClientFor,
  useStripeEmulator,
} from './helpers';

describe('Idempotency-Key on POST', () => {
  const context = useStripeEmulator();

  it('when a create is repeated with the same key and parameters, then the same PaymentIntent comes back, marked as replayed, and nothing runs twice', async () => {
    const idempotencyKey = `charge-${randomUUID()}`;
    const params = buildPaymentIntentParams({ metadata: { orderId: idempotencyKey } });

    const first = await context.stripe.paymentIntents.create(params, { idempotencyKey });
    const replay = await context.stripe.paymentIntents.create(params, { idempotencyKey });

    expect(replay).toEqual(first);
    expect(replay.lastResponse.statusCode).toBe(200);
    expect(replay.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(first.lastResponse.headers['idempotent-replayed']).toBeUndefined();
    expect(replay.lastResponse.idempotencyKey).toBe(idempotencyKey);
    const succeeded = (await listEmulatorEvents(context.emulator, 'payment_intent.succeeded')).data;
    expect(succeeded.filter((event) => event.data.object.id === first.id)).toHaveLength(1);
  });

  it('when metadata arrives in another order under the same key, then it is the same request', async () => {
    const idempotencyKey = randomUUID();

    const first = await context.stripe.paymentIntents.create(
      buildPaymentIntentParams({ metadata: { orderId: 'o-1', userId: 'u-1' } }),
      { idempotencyKey },
    );
    const replay = await context.stripe.paymentIntents.create(
      buildPaymentIntentParams({ metadata: { userId: 'u-1', orderId: 'o-1' } }),
      { idempotencyKey },
    );

    expect(replay.id).toBe(first.id);
  });

  it('when a declined create is repeated with the same key, then the same 402 card error is replayed', async () => {
    const idempotencyKey = randomUUID();
    const params = buildPaymentIntentParams({ payment_method: 'pm_card_chargeDeclined' });

    const first = await rejectionOf<Stripe.errors.StripeCardError>(
      context.stripe.paymentIntents.create(params, { idempotencyKey }),
    );
    const replay = await rejectionOf<Stripe.errors.StripeCardError>(
      context.stripe.paymentIntents.create(params, { idempotencyKey }),
    );

    expect(replay.type).toBe('StripeCardError');
    expect(replay.decline_code).toBe('generic_decline');
    expect(rawPaymentIntentOf(replay).id).toBe(rawPaymentIntentOf(first).id);
    expect(replay.headers?.['idempotent-replayed']).toBe('true');
  });

  it('when the same key is reused with other parameters, then StripeIdempotencyError and no second PaymentIntent', async () => {
    const idempotencyKey = randomUUID();
    await context.stripe.paymentIntents.create(buildPaymentIntentParams({ amount: 2000 }), { idempotencyKey });

    const error = await rejectionOf<Stripe.errors.StripeIdempotencyError>(
      context.stripe.paymentIntents.create(buildPaymentIntentParams({ amount: 3000 }), { idempotencyKey }),
    );

    expect(error).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect(error.type).toBe('StripeIdempotencyError');
    expect(error.rawType).toBe('idempotency_error');
    expect(error.statusCode).toBe(400);
    expect(error.message).toMatch(/^Keys for idempotent requests can only be used with the same parameters/);
  });

  it('when the same key is reused on another endpoint, then StripeIdempotencyError', async () => {
    const idempotencyKey = randomUUID();
    const paymentIntent = await context.stripe.paymentIntents.create(buildPaymentIntentParams(), { idempotencyKey });

    const error = await rejectionOf(
      context.stripe.refunds.create({ payment_intent: paymentIntent.id }, { idempotencyKey }),
    );

    expect(error.type).toBe('StripeIdempotencyError');
  });

  it('when a request failed parameter validation, then its key is not spent and the corrected request runs', async () => {
    const idempotencyKey = randomUUID();
    const invalid = await rejectionOf(
      context.stripe.paymentIntents.create(buildPaymentIntentParams({ amount: 10 }), { idempotencyKey }),
    );
    expect(invalid.code).toBe('amount_too_small');

    const corrected = await context.stripe.paymentIntents.create(buildPaymentIntentParams({ amount: 2000 }), {
      idempotencyKey,
    });

    expect(corrected.status).toBe('succeeded');
  });

  it('when two API keys use the same idempotency key, then each gets its own answer', async () => {
    const idempotencyKey = randomUUID();
    const otherAccount = stripeClientFor(context.emulator, 'sk_test_another_account');

    const mine = await context.stripe.paymentIntents.create(buildPaymentIntentParams(), { idempotencyKey });
    const theirs = await otherAccount.paymentIntents.create(buildPaymentIntentParams(), { idempotencyKey });

    expect(theirs.id).not.toBe(mine.id);
    expect(theirs.lastResponse.headers['idempotent-replayed']).toBeUndefined();
  });
});
