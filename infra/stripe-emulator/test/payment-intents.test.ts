import Stripe from 'stripe';
import {
  buildPaymentIntentParams,
  rawPaymentIntentOf,
  rejectionOf,
  stripeClientFor,
  useStripeEmulator,
} from './helpers';

describe('PaymentIntents through the real Stripe SDK', () => {
  const context = useStripeEmulator();

  describe('POST /v1/payment_intents with confirm=true', () => {
    it('when the card is pm_card_visa, then the PaymentIntent succeeds with a charge and the whole amount received', async () => {
      const paymentIntent = await context.stripe.paymentIntents.create(
        buildPaymentIntentParams({
          amount: 2550,
          metadata: { orderId: 'order-visa' },
          receipt_email: 'buyer@example.com',
        }),
      );

      expect(paymentIntent).toMatchObject({
        object: 'payment_intent',
        amount: 2550,
        amount_received: 2550,
        currency: 'usd',
        status: 'succeeded',
        payment_method: 'pm_card_visa',
        allowed_payment_method_types: ['card'],
        payment_method_types: ['card'],
        automatic_payment_methods: null,
        metadata: { orderId: 'order-visa' },
        receipt_email: 'buyer@example.com',
        livemode: false,
        last_payment_error: null,
      });
      expect(paymentIntent.id).toMatch(/^pi_\w{24}$/);
      expect(paymentIntent.latest_charge).toMatch(/^ch_\w{24}$/);
      expect(paymentIntent.client_secret).toMatch(new RegExp(`^${paymentIntent.id}_secret_`));
      expect(Math.abs(paymentIntent.created - Date.now() / 1000)).toBeLessThan(60);
      expect(paymentIntent.lastResponse.statusCode).toBe(200);
      expect(paymentIntent.lastResponse.requestId).toMatch(/^req_/);
    });

    it('when the card is pm_card_chargeDeclined, then the SDK throws a StripeCardError with generic_decline and the failed PaymentIntent', async () => {
      const error = await rejectionOf<Stripe.errors.StripeCardError>(
        context.stripe.paymentIntents.create(buildPaymentIntentParams({ payment_method: 'pm_card_chargeDeclined' })),
      );

      expect(error).toBeInstanceOf(Stripe.errors.StripeCardError);
      expect(error.type).toBe('StripeCardError');
      expect(error.statusCode).toBe(402);
      expect(error.code).toBe('card_declined');
      expect(error.decline_code).toBe('generic_decline');
      expect(error.message).toBe('Your card was declined.');
      expect(error.charge).toMatch(/^ch_/);
      const paymentIntent = rawPaymentIntentOf(error);
      expect(paymentIntent.id).toMatch(/^pi_/);
      expect(paymentIntent).toMatchObject({
        status: 'requires_payment_method',
        amount_received: 0,
        latest_charge: error.charge,
        last_payment_error: {
          type: 'card_error',
          code: 'card_declined',
          decline_code: 'generic_decline',
          message: 'Your card was declined.',
          payment_method: { id: 'pm_card_chargeDeclined', object: 'payment_method' },
        },
      });
      expect(error.payment_intent).toEqual(paymentIntent);
      expect(error.payment_method).toMatchObject({ id: 'pm_card_chargeDeclined', card: { last4: '0002' } });
    });

    it('when the card is pm_card_chargeDeclinedInsufficientFunds, then the StripeCardError says insufficient_funds', async () => {
      const error = await rejectionOf<Stripe.errors.StripeCardError>(
        context.stripe.paymentIntents.create(
          buildPaymentIntentParams({ payment_method: 'pm_card_chargeDeclinedInsufficientFunds' }),
        ),
      );

      expect(error.type).toBe('StripeCardError');
      expect(error.code).toBe('card_declined');
      expect(error.decline_code).toBe('insufficient_funds');
      expect(error.message).toBe('Your card has insufficient funds.');
      expect(rawPaymentIntentOf(error).status).toBe('requires_payment_method');
    });

    it('when a declined PaymentIntent is retrieved, then it is stored as the card error described it', async () => {
      const error = await rejectionOf<Stripe.errors.StripeCardError>(
        context.stripe.paymentIntents.create(buildPaymentIntentParams({ payment_method: 'pm_card_chargeDeclined' })),
      );
      const declined = rawPaymentIntentOf(error);

      const retrieved = await context.stripe.paymentIntents.retrieve(declined.id);

      expect(retrieved).toEqual(declined);
    });

    it('when the payment method does not exist, then 400 resource_missing names it', async () => {
      const error = await rejectionOf<Stripe.errors.StripeInvalidRequestError>(
        context.stripe.paymentIntents.create(buildPaymentIntentParams({ payment_method: 'pm_card_nonsense' })),
      );

      expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect(error.statusCode).toBe(400);
      expect(error.code).toBe('resource_missing');
      expect(error.param).toBe('payment_method');
      expect(error.message).toBe("No such PaymentMethod: 'pm_card_nonsense'");
    });

    it('when the amount is below $0.50, then 400 amount_too_small on param amount', async () => {
      const error = await rejectionOf<Stripe.errors.StripeInvalidRequestError>(
        context.stripe.paymentIntents.create(buildPaymentIntentParams({ amount: 49 })),
      );

      expect(error.type).toBe('StripeInvalidRequestError');
      expect(error.statusCode).toBe(400);
      expect(error.code).toBe('amount_too_small');
      expect(error.param).toBe('amount');
      expect(error.message).toBe('Amount must be at least $0.50 usd');
    });

    it('when the amount is exactly $0.50, then it is charged', async () => {
      const paymentIntent = await context.stripe.paymentIntents.create(buildPaymentIntentParams({ amount: 50 }));

      expect(paymentIntent.status).toBe('succeeded');
    });

    it('when the currency is missing, then 400 parameter_missing on param currency', async () => {
      const params = buildPaymentIntentParams();
      const { currency: _currency, ...withoutCurrency } = params;

      const error = await rejectionOf<Stripe.errors.StripeInvalidRequestError>(
        context.stripe.paymentIntents.create(withoutCurrency as Stripe.PaymentIntentCreateParams),
      );

      expect(error.statusCode).toBe(400);
      expect(error.code).toBe('parameter_missing');
      expect(error.param).toBe('currency');
      expect(error.message).toBe('Missing required param: currency.');
    });

    it('when the amount is not an integer, then 400 parameter_invalid_integer', async () => {
      const error = await rejectionOf<Stripe.errors.StripeInvalidRequestError>(
        context.stripe.paymentIntents.create(buildPaymentIntentParams({ amount: 20.5 })),
      );

      expect(error.code).toBe('parameter_invalid_integer');
      expect(error.param).toBe('amount');
    });

    it('when a parameter the emulator does not implement is sent, then 400 parameter_unknown names it', async () => {
      const error = await rejectionOf<Stripe.errors.StripeInvalidRequestError>(
        context.stripe.paymentIntents.create(buildPaymentIntentParams({ capture_method: 'manual' })),
      );

      expect(error.statusCode).toBe(400);
      expect(error.code).toBe('parameter_unknown');
      expect(error.param).toBe('capture_method');
      expect(error.message).toMatch(/^Received unknown parameter: capture_method/);
    });

    it('when allowed_payment_method_types is left out and no return_url is given, then 400 as Stripe answers for automatic payment methods', async () => {
      const { allowed_payment_method_types: _types, ...automatic } = buildPaymentIntentParams();

      const error = await rejectionOf<Stripe.errors.StripeInvalidRequestError>(
        context.stripe.paymentIntents.create(automatic),
      );

      expect(error.statusCode).toBe(400);
      expect(error.message).toMatch(/you must provide a `return_url`/);
    });

    it('when a caller on an older API version sends payment_method_types[]=card, then the card is charged', async () => {
      const { allowed_payment_method_types: _types, ...rest } = buildPaymentIntentParams();
      // Not in SDK 23's types (removed in API 2026-10-28), still what older integrations send.
      const legacy = { ...rest, payment_method_types: ['card'] } as Stripe.PaymentIntentCreateParams;

      const paymentIntent = await context.stripe.paymentIntents.create(legacy);

      expect(paymentIntent).toMatchObject({ status: 'succeeded', allowed_payment_method_types: null });
    });

    it('when automatic payment methods exclude redirects, then the card is charged', async () => {
      const { allowed_payment_method_types: _types, ...automatic } = buildPaymentIntentParams();

      const paymentIntent = await context.stripe.paymentIntents.create({
        ...automatic,
        automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
      });

      expect(paymentIntent.status).toBe('succeeded');
      expect(paymentIntent.automatic_payment_methods).toEqual({ enabled: true, allow_redirects: 'never' });
    });
  });

  describe('POST /v1/payment_intents without confirm, then POST /v1/payment_intents/:id/confirm', () => {
    it('when created with a payment method, then it waits in requires_confirmation and confirming charges it', async () => {
      const created = await context.stripe.paymentIntents.create(buildPaymentIntentParams({ confirm: undefined }));
      expect(created).toMatchObject({ status: 'requires_confirmation', latest_charge: null, amount_received: 0 });

      const confirmed = await context.stripe.paymentIntents.confirm(created.id);

      expect(confirmed).toMatchObject({ id: created.id, status: 'succeeded', amount_received: 2000 });
      expect(confirmed.latest_charge).toMatch(/^ch_/);
    });

    it('when created without a payment method, then it is requires_payment_method and confirming without one is a 400', async () => {
      const created = await context.stripe.paymentIntents.create(
        buildPaymentIntentParams({ confirm: undefined, payment_method: undefined }),
      );
      expect(created.status).toBe('requires_payment_method');

      const error = await rejectionOf<Stripe.errors.StripeInvalidRequestError>(
        context.stripe.paymentIntents.confirm(created.id),
      );

      expect(error.statusCode).toBe(400);
      expect(error.code).toBe('payment_intent_unexpected_state');
      expect(rawPaymentIntentOf(error).id).toBe(created.id);
    });

    it('when a declined PaymentIntent is confirmed again with pm_card_visa, then it succeeds and forgets the decline', async () => {
      const created = await context.stripe.paymentIntents.create(
        buildPaymentIntentParams({ confirm: undefined, payment_method: undefined }),
      );
      const decline = await rejectionOf<Stripe.errors.StripeCardError>(
        context.stripe.paymentIntents.confirm(created.id, {
          payment_method: 'pm_card_chargeDeclinedInsufficientFunds',
        }),
      );
      expect(decline.decline_code).toBe('insufficient_funds');
      expect(rawPaymentIntentOf(decline).id).toBe(created.id);

      const confirmed = await context.stripe.paymentIntents.confirm(created.id, { payment_method: 'pm_card_visa' });

      expect(confirmed).toMatchObject({
        status: 'succeeded',
        payment_method: 'pm_card_visa',
        last_payment_error: null,
        amount_received: 2000,
      });
      expect(confirmed.latest_charge).not.toBe(decline.charge);
    });

    it('when a succeeded PaymentIntent is confirmed again, then 400 payment_intent_unexpected_state and nothing is charged twice', async () => {
      const paymentIntent = await context.stripe.paymentIntents.create(buildPaymentIntentParams());

      const error = await rejectionOf<Stripe.errors.StripeInvalidRequestError>(
        context.stripe.paymentIntents.confirm(paymentIntent.id),
      );

      expect(error.statusCode).toBe(400);
      expect(error.code).toBe('payment_intent_unexpected_state');
      expect(error.message).toMatch(/status of succeeded/);
      const retrieved = await context.stripe.paymentIntents.retrieve(paymentIntent.id);
      expect(retrieved.latest_charge).toBe(paymentIntent.latest_charge);
    });

    it('when the PaymentIntent does not exist, then 404 resource_missing', async () => {
      const error = await rejectionOf<Stripe.errors.StripeInvalidRequestError>(
        context.stripe.paymentIntents.confirm('pi_doesnotexist', { payment_method: 'pm_card_visa' }),
      );

      expect(error.statusCode).toBe(404);
      expect(error.code).toBe('resource_missing');
      expect(error.message).toBe("No such payment_intent: 'pi_doesnotexist'");
    });
  });

  describe('GET /v1/payment_intents/:id', () => {
    it('when the PaymentIntent exists, then it is returned as created', async () => {
      const created = await context.stripe.paymentIntents.create(buildPaymentIntentParams());

      const retrieved = await context.stripe.paymentIntents.retrieve(created.id);

      expect(retrieved).toEqual(created);
    });

    it('when it does not exist, then 404 resource_missing with param intent', async () => {
      const error = await rejectionOf<Stripe.errors.StripeInvalidRequestError>(
        context.stripe.paymentIntents.retrieve('pi_missing'),
      );

      expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect(error.statusCode).toBe(404);
      expect(error.code).toBe('resource_missing');
      expect(error.param).toBe('intent');
      expect(error.message).toBe("No such payment_intent: 'pi_missing'");
    });
  });

  describe('authentication and unknown routes', () => {
    it('when the key is not a test secret key, then StripeAuthenticationError and the key is masked', async () => {
      const liveClient = stripeClientFor(context.emulator, 'sk_live_abcdefghijklmnop1234');

      const error = await rejectionOf<Stripe.errors.StripeAuthenticationError>(
        liveClient.paymentIntents.create(buildPaymentIntentParams()),
      );

      expect(error).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
      expect(error.type).toBe('StripeAuthenticationError');
      expect(error.statusCode).toBe(401);
      expect(error.message).toBe('Invalid API Key provided: sk_live_****************1234');
    });

    it('when no Authorization header is sent, then 401 with Stripe’s error body', async () => {
      const response = await fetch(`${context.emulator.url}/v1/payment_intents/pi_x`);

      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({
        error: { type: 'invalid_request_error', message: expect.stringMatching(/^You did not provide an API key/) },
      });
    });

    it('when a path the emulator does not answer is called, then 404 Unrecognized request URL', async () => {
      const error = await rejectionOf<Stripe.errors.StripeInvalidRequestError>(
        context.stripe.customers.create({ email: 'buyer@example.com' }),
      );

      expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect(error.statusCode).toBe(404);
      expect(error.message).toMatch(/^Unrecognized request URL \(POST: \/v1\/customers\)/);
    });

    it('when asked for /healthz and /readyz, then both answer 200', async () => {
      expect((await fetch(`${context.emulator.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${context.emulator.url}/readyz`)).status).toBe(200);
    });
  });
});
