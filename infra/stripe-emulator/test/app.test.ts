import request from 'supertest';
import { EMULATOR_API_KEY, createStripeEmulatorApp } from '../src/emulator';

/** The wire format itself, form body in and Stripe's JSON out, without the SDK in between. */
describe('createStripeEmulatorApp on the wire', () => {
  const app = createStripeEmulatorApp({});
  const authorization = `Bearer ${EMULATOR_API_KEY}`;

  it('when the amount is too small, then the body is exactly Stripe’s invalid_request_error', async () => {
    const response = await request(app)
      .post('/v1/payment_intents')
      .set('Authorization', authorization)
      .type('form')
      .send('amount=10&currency=usd&payment_method=pm_card_visa&confirm=true');

    expect(response.status).toBe(400);
    expect(response.headers['request-id']).toMatch(/^req_/);
    expect(response.body).toEqual({
      error: {
        type: 'invalid_request_error',
        code: 'amount_too_small',
        doc_url: 'https://stripe.com/docs/error-codes/amount-too-small',
        message: 'Amount must be at least $0.50 usd',
        param: 'amount',
      },
    });
  });

  it('when a card is declined, then 402 with the card error, the charge, the PaymentIntent and the payment method', async () => {
    const response = await request(app)
      .post('/v1/payment_intents')
      .set('Authorization', authorization)
      .type('form')
      .send(
        'amount=2000&currency=USD&payment_method=pm_card_chargeDeclined&confirm=true' +
          '&allowed_payment_method_types[0]=card&metadata[orderId]=order-wire',
      );

    expect(response.status).toBe(402);
    expect(Object.keys(response.body.error).sort()).toEqual(
      ['charge', 'code', 'decline_code', 'doc_url', 'message', 'payment_intent', 'payment_method', 'type'].sort(),
    );
    expect(response.body.error).toMatchObject({
      type: 'card_error',
      code: 'card_declined',
      decline_code: 'generic_decline',
      message: 'Your card was declined.',
      doc_url: 'https://stripe.com/docs/error-codes/card-declined',
      payment_intent: {
        object: 'payment_intent',
        currency: 'usd',
        metadata: { orderId: 'order-wire' },
        status: 'requires_payment_method',
        latest_charge: response.body.error.charge,
      },
      payment_method: { id: 'pm_card_chargeDeclined', object: 'payment_method', type: 'card' },
    });
  });

  it('when a JSON body is sent instead of a form, then its parameters are not read', async () => {
    const response = await request(app)
      .post('/v1/payment_intents')
      .set('Authorization', authorization)
      .send({ amount: 2000, currency: 'usd' });

    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({ code: 'parameter_missing', param: 'amount' });
  });

  it('when a GET path under /v1 is unknown, then 404 with Stripe’s error body', async () => {
    const response = await request(app).get('/v1/charges').set('Authorization', authorization);

    expect(response.status).toBe(404);
    expect(response.body).toEqual({
      error: {
        type: 'invalid_request_error',
        message: expect.stringMatching(/^Unrecognized request URL \(GET: \/v1\/charges\)/),
      },
    });
  });
});
