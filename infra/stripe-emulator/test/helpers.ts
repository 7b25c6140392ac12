import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import {
  EMULATOR_API_KEY,
  startStripeEmulator,
  type RunningStripeEmulator,
  type StripeEmulatorOptions,
} from '../src/emulator';

/** The real SDK, configured the way the payments service configures it, pointed at `emulator`. */
export function stripeClientFor(emulator: RunningStripeEmulator, apiKey = EMULATOR_API_KEY): Stripe {
  return new Stripe(apiKey, {
    host: emulator.host,
    port: emulator.port,
    protocol: 'http',
    maxNetworkRetries: 0,
    telemetry: false,
  });
}

/** For a test file: one emulator started before all tests and closed after, with an SDK client on it. */
export function useStripeEmulator(options: StripeEmulatorOptions = {}) {
  let emulator: RunningStripeEmulator | undefined;
  let stripe: Stripe | undefined;
  beforeAll(async () => {
    emulator = await startStripeEmulator({ port: 0, ...options });
    stripe = stripeClientFor(emulator);
  });
  afterAll(async () => {
    await emulator?.close();
  });
  return {
    get emulator(): RunningStripeEmulator {
      if (!emulator) throw new Error('the emulator starts in beforeAll');
      return emulator;
    },
    get stripe(): Stripe {
      if (!stripe) throw new Error('the emulator starts in beforeAll');
      return stripe;
    },
  };
}

/** What a call rejected with; fails the test when it resolved. */
export async function rejectionOf<T = Stripe.errors.StripeError>(promise: Promise<unknown>): Promise<T> {
  try {
    await promise;
  } catch (error) {
    return error as T;
  }
  throw new Error('expected the call to be rejected, but it resolved');
}

/** The PaymentIntent a card or state error carries in its raw body (`err.raw.payment_intent`). */
export function rawPaymentIntentOf(error: Stripe.errors.StripeError): Stripe.PaymentIntent {
  const paymentIntent = (error.raw as { payment_intent?: Stripe.PaymentIntent }).payment_intent;
  if (!paymentIntent) throw new Error(`no payment_intent in ${JSON.stringify(error.raw)}`);
  return paymentIntent;
}

/**
 * A PaymentIntent payments would create: card only, confirmed at once. SDK 23 (API 2026-10-28) names the
 * card-only list `allowed_payment_method_types`; older versions called it `payment_method_types`.
 */
export function buildPaymentIntentParams(
  overrides: Partial<Stripe.PaymentIntentCreateParams> = {},
): Stripe.PaymentIntentCreateParams {
  return {
    amount: 2000,
    currency: 'usd',
    payment_method: 'pm_card_visa',
    allowed_payment_method_types: ['card'],
    confirm: true,
    metadata: { orderId: 'order-1' },
    ...overrides,
  };
}

export interface WebhookDelivery {
  headers: IncomingHttpHeaders;
  /** The exact bytes received, as a webhook route must verify them. */
  rawBody: string;
}

export interface WebhookReceiver {
  url: string;
  deliveries: WebhookDelivery[];
  /** Deliveries whose body is an event of `type` about the object `objectId`. */
  deliveriesOf(type: string, objectId: string): WebhookDelivery[];
  close(): Promise<void>;
}

/**
 * A real HTTP endpoint standing in for the payments service's webhook route. It answers each delivery
 * with the next status in `statuses`, then 200 for good.
 */
export async function startWebhookReceiver(statuses: number[] = []): Promise<WebhookReceiver> {
  const deliveries: WebhookDelivery[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      deliveries.push({ headers: req.headers, rawBody: Buffer.concat(chunks).toString('utf8') });
      res.statusCode = statuses.shift() ?? 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/payments/webhook`,
    deliveries,
    deliveriesOf(type, objectId) {
      return deliveries.filter((delivery) => {
        const event = JSON.parse(delivery.rawBody) as { type: string; data: { object: { id: string } } };
        return event.type === type && event.data.object.id === objectId;
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** `GET /_emulator/events`, as a test reads what the emulator emitted. */
export async function listEmulatorEvents(emulator: RunningStripeEmulator, type?: string) {
  const query = type ? `?type=${encodeURIComponent(type)}` : '';
  const response = await fetch(`${emulator.url}/_emulator/events${query}`);
  expect(response.status).toBe(200);
  return (await response.json()) as {
    object: 'list';
    data: { id: string; type: string; pending_webhooks: number; data: { object: { id: string } } }[];
  };
}
