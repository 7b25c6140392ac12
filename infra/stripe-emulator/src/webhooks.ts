import { createHmac } from 'node:crypto';
import type { Logger } from '@ticketing/common';
import { stripeId, unixSeconds } from './ids';
import type { ApiRequestContext, EventRecorder } from './payments';

/** Waits between delivery attempts: five attempts over about 20 s, then the event is given up on. */
export const WEBHOOK_RETRY_DELAYS_MS: readonly number[] = [250, 1_000, 4_000, 15_000];
/** Stripe gives an endpoint a few seconds; a receiver that hangs longer counts as a failed attempt. */
const DELIVERY_TIMEOUT_MS = 10_000;

/** Stripe's Event object, as delivered to webhook endpoints and listed by `GET /_emulator/events`. */
export interface EmulatedEvent {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  data: { object: object };
  livemode: false;
  /** Endpoints that have not yet acknowledged the event with a 2xx (0 or 1 here). */
  pending_webhooks: number;
  request: { id: string; idempotency_key: string | null };
  type: string;
}

/**
 * The `Stripe-Signature` header for `payload`: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<payload>">`
 * keyed with the endpoint's secret, which `stripe.webhooks.constructEvent` recomputes over the raw body.
 */
export function signWebhookPayload(payload: string, secret: string, timestamp = unixSeconds()): string {
  const signature = createHmac('sha256', secret).update(`${timestamp}.${payload}`, 'utf8').digest('hex');
  return `t=${timestamp},v1=${signature}`;
}

export interface WebhookDispatcherOptions {
  /** The one webhook endpoint; without it events are only recorded. */
  url?: string;
  secret: string;
  logger: Logger;
  retryDelaysMs?: readonly number[];
}

/**
 * Records events and delivers each one to the webhook endpoint after the API call that caused it has been
 * answered (a timer, never inside the request), retrying a bounded number of times with growing waits.
 * Like Stripe, each attempt is signed afresh (new timestamp) and events are not ordered between each other.
 */
export class WebhookDispatcher implements EventRecorder {
  private readonly events: EmulatedEvent[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly deliveries = new Set<Promise<void>>();
  private readonly stopping = new AbortController();

  constructor(private readonly options: WebhookDispatcherOptions) {}

  record(type: string, object: object, request: ApiRequestContext): void {
    const event: EmulatedEvent = {
      id: stripeId('evt'),
      object: 'event',
      api_version: request.apiVersion,
      created: unixSeconds(),
      data: { object },
      livemode: false,
      pending_webhooks: this.options.url ? 1 : 0,
      request: { id: request.requestId, idempotency_key: request.idempotencyKey },
      type,
    };
    this.events.push(event);
    this.options.logger.info({ eventId: event.id, type }, 'event created');
    if (this.options.url) this.scheduleDelivery(event, this.options.url, 1, 0);
  }

  /** Every event so far, newest first as Stripe lists them, optionally of one type. */
  list(type?: string): EmulatedEvent[] {
    return structuredClone(this.events.filter((event) => type === undefined || event.type === type).reverse());
  }

  /** Cancels waiting retries and aborts deliveries in flight. */
  async close(): Promise<void> {
    this.stopping.abort();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await Promise.allSettled([...this.deliveries]);
  }

  private scheduleDelivery(event: EmulatedEvent, url: string, attempt: number, delayMs: number): void {
    if (this.stopping.signal.aborted) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      const delivery = this.deliver(event, url, attempt).finally(() => this.deliveries.delete(delivery));
      this.deliveries.add(delivery);
    }, delayMs);
    // Pending retries alone never keep a process (or a test run) alive.
    timer.unref();
    this.timers.add(timer);
  }

  private async deliver(event: EmulatedEvent, url: string, attempt: number): Promise<void> {
    const { logger, secret } = this.options;
    const payload = JSON.stringify(event, null, 2);
    let failure: string;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json; charset=utf-8',
          'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          'Stripe-Signature': signWebhookPayload(payload, secret),
        },
        body: payload,
        signal: AbortSignal.any([this.stopping.signal, AbortSignal.timeout(DELIVERY_TIMEOUT_MS)]),
      });
      await response.body?.cancel();
      if (response.ok) {
        event.pending_webhooks = 0;
        logger.info({ eventId: event.id, type: event.type, attempt, status: response.status }, 'webhook delivered');
        return;
      }
      failure = `HTTP ${response.status}`;
    } catch (error) {
      if (this.stopping.signal.aborted) return;
      failure = error instanceof Error ? error.message : String(error);
    }
    const retryDelays = this.options.retryDelaysMs ?? WEBHOOK_RETRY_DELAYS_MS;
    const delayMs = retryDelays[attempt - 1];
    if (delayMs === undefined) {
      logger.error({ eventId: event.id, type: event.type, attempt, failure }, 'webhook delivery failed: giving up');
      return;
    }
    logger.warn(
      { eventId: event.id, type: event.type, attempt, failure, retryInMs: delayMs },
      'webhook delivery failed',
    );
    this.scheduleDelivery(event, url, attempt + 1, delayMs);
  }
}
