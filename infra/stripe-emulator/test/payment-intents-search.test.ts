import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { buildPaymentIntentParams, rejectionOf, stripeClientFor, useStripeEmulator } from './helpers';

describe('GET /v1/payment_intents/search through the real Stripe SDK', () => {
  const context = useStripeEmulator();

  /** A PaymentIntent the way payments creates one: our charge id in its metadata. */
  function createForCharge(chargeId: string, overrides: Partial<Stripe.PaymentIntentCreateParams> = {}) {
    return context.stripe.paymentIntents.create(
      buildPaymentIntentParams({ metadata: { orderId: randomUUID(), chargeId }, ...overrides }),
    );
  }

  it("when a PaymentIntent carries the charge id, then metadata['chargeId']:'<id>' finds it and only it", async () => {
    const chargeId = randomUUID();
    const paymentIntent = await createForCharge(chargeId, { amount: 3300 });
    await createForCharge(randomUUID());

    const result = await context.stripe.paymentIntents.search({ query: `metadata['chargeId']:'${chargeId}'` });

    expect(result).toMatchObject({
      object: 'search_result',
      has_more: false,
      next_page: null,
      url: '/v1/payment_intents/search',
    });
    expect(result.data).toEqual([
      expect.objectContaining({
        id: paymentIntent.id,
        status: 'succeeded',
        amount: 3300,
        metadata: paymentIntent.metadata,
      }),
    ]);
  });

  it('when nothing carries the charge id (Stripe never received the request), then the result is empty', async () => {
    const result = await context.stripe.paymentIntents.search({ query: `metadata['chargeId']:'${randomUUID()}'` });
    expect(result.data).toEqual([]);
    expect(result.has_more).toBe(false);
  });

  it('when the payment was declined, then the PaymentIntent is found as the decline left it', async () => {
    const chargeId = randomUUID();
    await rejectionOf(createForCharge(chargeId, { payment_method: 'pm_card_chargeDeclined' }));

    const { data } = await context.stripe.paymentIntents.search({ query: `metadata['chargeId']:'${chargeId}'` });

    expect(data).toEqual([
      expect.objectContaining({
        status: 'requires_payment_method',
        last_payment_error: expect.objectContaining({ code: 'card_declined', message: 'Your card was declined.' }),
      }),
    ]);
  });

  it('when clauses are joined with AND (double quotes too), then every clause must match', async () => {
    const chargeId = randomUUID();
    const orderId = randomUUID();
    const paymentIntent = await context.stripe.paymentIntents.create(
      buildPaymentIntentParams({ metadata: { orderId, chargeId } }),
    );

    const both = await context.stripe.paymentIntents.search({
      query: `metadata["chargeId"]:"${chargeId}" AND metadata['orderId']:'${orderId}'`,
    });
    const mismatch = await context.stripe.paymentIntents.search({
      query: `metadata['chargeId']:'${chargeId}' AND metadata['orderId']:'${randomUUID()}'`,
    });

    expect(both.data.map((found) => found.id)).toEqual([paymentIntent.id]);
    expect(mismatch.data).toEqual([]);
  });

  it('when more match than the limit, then pages follow next_page, newest first, and the SDK can page through them all', async () => {
    const chargeId = randomUUID();
    const created: string[] = [];
    for (let index = 0; index < 3; index += 1) created.push((await createForCharge(chargeId)).id);
    const query = `metadata['chargeId']:'${chargeId}'`;

    const first = await context.stripe.paymentIntents.search({ query, limit: 2 });
    expect(first.data.map((found) => found.id)).toEqual([created[2], created[1]]);
    expect(first.has_more).toBe(true);
    expect(first.next_page).toEqual(expect.any(String));
    const second = await context.stripe.paymentIntents.search({ query, limit: 2, page: first.next_page ?? '' });
    expect(second.data.map((found) => found.id)).toEqual([created[0]]);
    expect(second.has_more).toBe(false);

    const all = await context.stripe.paymentIntents.search({ query, limit: 1 }).autoPagingToArray({ limit: 10 });
    expect(all.map((found) => found.id)).toEqual([...created].reverse());
  });

  it.each([
    ["status:'succeeded'", 'query'],
    ["metadata['chargeId']:'a' OR metadata['chargeId']:'b'", 'query'],
    ['', 'query'],
  ])('when the query is %j, then 400 invalid_request_error on param %s', async (query, param) => {
    const error = await rejectionOf(context.stripe.paymentIntents.search({ query }));
    expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(error.statusCode).toBe(400);
    expect(error.param).toBe(param);
  });

  it('when the limit is out of range, then 400 on param limit', async () => {
    const error = await rejectionOf(
      context.stripe.paymentIntents.search({ query: `metadata['chargeId']:'x'`, limit: 101 }),
    );
    expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(error.param).toBe('limit');
  });

  it('when the API key is not a test secret key, then 401 as for every call', async () => {
    const error = await rejectionOf(
      stripeClientFor(context.emulator, 'pk_test_publishable').paymentIntents.search({
        query: `metadata['chargeId']:'x'`,
      }),
    );
    expect(error).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
  });

  it('when a PaymentIntent id is retrieved, then GET /v1/payment_intents/:id still answers it (search is not an id)', async () => {
    const paymentIntent = await createForCharge(randomUUID());
    const retrieved = await context.stripe.paymentIntents.retrieve(paymentIntent.id);
    expect(retrieved.id).toBe(paymentIntent.id);
  });
});
