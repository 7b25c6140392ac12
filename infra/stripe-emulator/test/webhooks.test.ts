import { createLogger } from '@ticketing/common';
import { waitFor } from '@ticketing/common/testing';
import Stripe from 'stripe';
import { EMULATOR_WEBHOOK_SECRET, startStripeEmulator, type RunningStripeEmulator } from '../src/emulator';
import { WebhookDispatcher } from '../src/webhooks';
import {
  buildPaymentIntentParams,
  rawPaymentIntentOf,
  listEmulatorEvents,
  rejectionOf,
  startWebhookReceiver,
  stripeClientFor,
  type WebhookDelivery,
  type WebhookReceiver,
} from './helpers';

const WEBHOOK_SECRET = 'whsec_webhook_test_secret';
/** Only for verifying: the SDK's own webhook helper, which needs no key that works. */
const verifier = new Stripe('sk_test_verifier_only');

function signatureOf(delivery: WebhookDelivery): string {
  return String(delivery.headers['stripe-signature']);
}

describe('webhook events', () => {
  let receiver: WebhookReceiver;
  let emulator: RunningStripeEmulator;
  let stripe: Stripe;

  async function start(receiverStatuses: number[] = []) {
    receiver = await startWebhookReceiver(receiverStatuses);
    emulator = await startStripeEmulator({ port: 0, webhookUrl: receiver.url, webhookSecret: WEBHOOK_SECRET });
    stripe = stripeClientFor(emulator);
  }

  afterEach(async () => {
    await emulator?.close();
    await receiver?.close();
  });

  it('when a PaymentIntent succeeds, then payment_intent.succeeded is POSTed and constructEvent accepts its signature', async () => {
    await start();

    const paymentIntent = await stripe.paymentIntents.create(buildPaymentIntentParams());

    const [delivery] = await waitFor(() => {
      const found = receiver.deliveriesOf('payment_intent.succeeded', paymentIntent.id);
      expect(found).toHaveLength(1);
      return found;
    });
    expect(delivery?.headers['content-type']).toMatch(/^application\/json/);
    expect(signatureOf(delivery as WebhookDelivery)).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    const event = verifier.webhooks.constructEvent(
      (delivery as WebhookDelivery).rawBody,
      signatureOf(delivery as WebhookDelivery),
      WEBHOOK_SECRET,
    );
    expect(event).toMatchObject({
      object: 'event',
      type: 'payment_intent.succeeded',
      livemode: false,
      api_version: Stripe.API_VERSION,
      data: {
        object: { id: paymentIntent.id, status: 'succeeded', amount_received: 2000, metadata: { orderId: 'order-1' } },
      },
      request: { id: paymentIntent.lastResponse.requestId, idempotency_key: paymentIntent.lastResponse.idempotencyKey },
    });
    expect(event.id).toMatch(/^evt_/);
  });

  it('when the signature is checked with another secret, then constructEvent rejects it', async () => {
    await start();
    const paymentIntent = await stripe.paymentIntents.create(buildPaymentIntentParams());
    const [delivery] = await waitFor(() => {
      const found = receiver.deliveriesOf('payment_intent.succeeded', paymentIntent.id);
      expect(found).toHaveLength(1);
      return found;
    });

    expect(() =>
      verifier.webhooks.constructEvent(
        (delivery as WebhookDelivery).rawBody,
        signatureOf(delivery as WebhookDelivery),
        EMULATOR_WEBHOOK_SECRET,
      ),
    ).toThrow(Stripe.errors.StripeSignatureVerificationError);
    expect(() =>
      verifier.webhooks.constructEvent(
        (delivery as WebhookDelivery).rawBody.replace('"amount": 2000', '"amount": 1'),
        signatureOf(delivery as WebhookDelivery),
        WEBHOOK_SECRET,
      ),
    ).toThrow(Stripe.errors.StripeSignatureVerificationError);
  });

  it('when a card is declined, then payment_intent.payment_failed carries the decline', async () => {
    await start();

    const error = await rejectionOf<Stripe.errors.StripeCardError>(
      stripe.paymentIntents.create(
        buildPaymentIntentParams({ payment_method: 'pm_card_chargeDeclinedInsufficientFunds' }),
      ),
    );
    const paymentIntentId = rawPaymentIntentOf(error).id;

    const [delivery] = await waitFor(() => {
      const found = receiver.deliveriesOf('payment_intent.payment_failed', paymentIntentId);
      expect(found).toHaveLength(1);
      return found;
    });
    const event = verifier.webhooks.constructEvent(
      (delivery as WebhookDelivery).rawBody,
      signatureOf(delivery as WebhookDelivery),
      WEBHOOK_SECRET,
    );
    expect(event.data.object).toMatchObject({
      id: paymentIntentId,
      status: 'requires_payment_method',
      last_payment_error: { code: 'card_declined', decline_code: 'insufficient_funds' },
    });
  });

  it('when a charge is refunded, then charge.refunded carries the refunded charge', async () => {
    await start();
    const paymentIntent = await stripe.paymentIntents.create(buildPaymentIntentParams());

    await stripe.refunds.create({ payment_intent: paymentIntent.id });

    const [delivery] = await waitFor(() => {
      const found = receiver.deliveriesOf('charge.refunded', String(paymentIntent.latest_charge));
      expect(found).toHaveLength(1);
      return found;
    });
    const event = verifier.webhooks.constructEvent(
      (delivery as WebhookDelivery).rawBody,
      signatureOf(delivery as WebhookDelivery),
      WEBHOOK_SECRET,
    );
    expect(event.data.object).toMatchObject({
      object: 'charge',
      payment_intent: paymentIntent.id,
      amount_refunded: 2000,
      refunded: true,
    });
  });

  it('when the receiver first answers 500, then the same event is delivered again, freshly signed, and counts as delivered', async () => {
    await start([500]);

    const paymentIntent = await stripe.paymentIntents.create(buildPaymentIntentParams());

    const deliveries = await waitFor(() => {
      const found = receiver.deliveriesOf('payment_intent.succeeded', paymentIntent.id);
      expect(found).toHaveLength(2);
      return found;
    });
    const [failed, retried] = deliveries.map((delivery) =>
      verifier.webhooks.constructEvent(delivery.rawBody, signatureOf(delivery), WEBHOOK_SECRET),
    );
    expect(retried?.id).toBe(failed?.id);
    await waitFor(async () => {
      const { data } = await listEmulatorEvents(emulator, 'payment_intent.succeeded');
      expect(data.find((event) => event.id === failed?.id)?.pending_webhooks).toBe(0);
    });
  });

  it('when an idempotent request is replayed, then no second event is sent', async () => {
    await start();
    const params = buildPaymentIntentParams();
    const first = await stripe.paymentIntents.create(params, { idempotencyKey: 'webhook-replay-key' });
    await stripe.paymentIntents.create(params, { idempotencyKey: 'webhook-replay-key' });
    // A later event proves the deliveries before it have been made.
    const later = await stripe.paymentIntents.create(buildPaymentIntentParams());
    await waitFor(() => expect(receiver.deliveriesOf('payment_intent.succeeded', later.id)).toHaveLength(1));

    expect(receiver.deliveriesOf('payment_intent.succeeded', first.id)).toHaveLength(1);
  });
});

describe('GET /_emulator/events without a webhook URL', () => {
  let emulator: RunningStripeEmulator;

  beforeAll(async () => {
    emulator = await startStripeEmulator({ port: 0 });
  });
  afterAll(() => emulator.close());

  it('when payments happen, then their events are listed newest first, filterable by type, with nothing pending', async () => {
    const stripe = stripeClientFor(emulator);
    const succeeded = await stripe.paymentIntents.create(buildPaymentIntentParams());
    const decline = await rejectionOf<Stripe.errors.StripeCardError>(
      stripe.paymentIntents.create(buildPaymentIntentParams({ payment_method: 'pm_card_chargeDeclined' })),
    );

    const all = await listEmulatorEvents(emulator);
    const failedOnly = await listEmulatorEvents(emulator, 'payment_intent.payment_failed');

    expect(all.object).toBe('list');
    expect(all.data.map((event) => [event.type, event.data.object.id])).toEqual([
      ['payment_intent.payment_failed', rawPaymentIntentOf(decline).id],
      ['payment_intent.succeeded', succeeded.id],
    ]);
    expect(all.data.every((event) => event.pending_webhooks === 0)).toBe(true);
    expect(failedOnly.data).toHaveLength(1);
  });
});

describe('webhook retries are bounded', () => {
  it('when the receiver always fails, then the event is attempted once plus once per retry delay, then given up', async () => {
    const receiver = await startWebhookReceiver(Array.from({ length: 10 }, () => 503));
    const lines: string[] = [];
    const logger = createLogger({
      service: 'stripe-emulator',
      level: 'info',
      destination: { write: (line) => lines.push(line) },
    });
    const dispatcher = new WebhookDispatcher({
      url: receiver.url,
      secret: WEBHOOK_SECRET,
      logger,
      retryDelaysMs: [10, 20],
    });
    try {
      dispatcher.record(
        'payment_intent.succeeded',
        { id: 'pi_always_failing' },
        {
          requestId: 'req_test',
          idempotencyKey: null,
          apiVersion: Stripe.API_VERSION,
        },
      );

      await waitFor(() => expect(lines.some((line) => line.includes('giving up'))).toBe(true));

      expect(receiver.deliveriesOf('payment_intent.succeeded', 'pi_always_failing')).toHaveLength(3);
      expect(dispatcher.list()[0]?.pending_webhooks).toBe(1);
    } finally {
      await dispatcher.close();
      await receiver.close();
    }
  });
});
