import { randomBytes } from 'node:crypto';

import {
  createTestBus,
  metricValue,
  parseMetrics,
  publishRaw,
  startTraceCollector,
  waitFor,
  type CollectedSpan,
  type MetricSample,
  type TraceCollector,
} from '@ticketing/common/testing';
import type { ServiceName } from '@ticketing/local-stack';

import {
  expectStatus,
  pay,
  sellTicket,
  showOrder,
  showTicket,
  startTestStack,
  waitForReply,
  type Order,
  type TestStack,
} from './helpers';

const SERVICES = ['auth', 'tickets', 'orders', 'payments', 'expiration'] as const satisfies readonly ServiceName[];

let collector: TraceCollector;
let stack: TestStack;

// The whole marketplace with tracing on, sending to a collector in this test: spans are batched for
// 100 ms rather than 5 s, so a trace is complete soon after the purchase.
beforeAll(async () => {
  collector = await startTraceCollector();
  stack = await startTestStack({
    env: {
      ORDER_EXPIRATION_SECONDS: '900',
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint,
      OTEL_BSP_SCHEDULE_DELAY: '100',
    },
  });
});
afterAll(async () => {
  await stack?.destroy();
  await collector?.close();
});

/** A service's own `GET /metrics`, on its port, parsed. */
async function scrape(service: ServiceName): Promise<MetricSample[]> {
  const response = await fetch(`${stack.serviceUrl(service)}/metrics`);
  expect([service, response.status]).toEqual([service, 200]);
  return parseMetrics(await response.text());
}

/** The spans of one trace that reached the collector. */
const spansOf = (traceId: string) => collector.spans.filter((span) => span.traceId === traceId);

/** The one span of `service` named `name` in `spans`. */
function spanNamed(spans: readonly CollectedSpan[], service: string, name: string): CollectedSpan {
  const found = spans.filter((span) => span.service === service && span.name === name);
  if (found.length !== 1) {
    const seen = spans.map((span) => `${span.service}: ${span.name}`).join(', ');
    throw new Error(`${found.length} spans "${name}" of ${service} (the trace has: ${seen})`);
  }
  return found[0] as CollectedSpan;
}

/** True when `ancestor` is `span`'s parent, or its parent's, and so on, within `spans`. */
function descendsFrom(spans: readonly CollectedSpan[], span: CollectedSpan, ancestor: CollectedSpan): boolean {
  const byId = new Map(spans.map((candidate) => [candidate.spanId, candidate]));
  for (let current = span.parentSpanId; current !== undefined; current = byId.get(current)?.parentSpanId) {
    if (current === ancestor.spanId) return true;
  }
  return false;
}

describe('one purchase is one trace', () => {
  it('when a buyer reserves, pays and the order completes, then orders, tickets, expiration and payments each add spans to the one trace the reservation began', async () => {
    const seller = await stack.signUp('seller');
    const buyer = await stack.signUp('buyer');
    const ticket = await sellTicket(seller, 42);
    // Orders knows the ticket once the seller's own attempt is refused as the seller's (403), not unknown (404).
    expectStatus(await waitForReply(() => seller.post('/api/orders', { ticketId: ticket.id }), [404]), 403);
    // The buyer's browser starts the trace (as an instrumented web app would): its id is what we look for.
    const traceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');

    const order = expectStatus(
      await buyer.post<Order>(
        '/api/orders',
        { ticketId: ticket.id },
        { traceparent: `00-${traceId}-${callerSpanId}-01` },
      ),
      201,
    ).body;
    expectStatus(await pay(buyer, order), 201);
    await waitFor(async () => expect((await showOrder(buyer, order.id)).status).toBe('complete'));

    // Everything that follows from the reservation, across four processes, under its trace id. Each process
    // exports its spans on its own schedule, and a span leaves only once it ends: a parent (the payment's use
    // case) can reach the collector after its children and the next service's spans. So wait for every span
    // looked at below, and for the payment request's own trace.
    const spans = await waitFor(
      () => {
        const trace = spansOf(traceId);
        spanNamed(trace, 'tickets', 'process order.completed');
        spanNamed(trace, 'expiration', 'process order.created');
        spanNamed(trace, 'orders', 'process charge.created');
        const payment = spanNamed(trace, 'payments', 'pay for order');
        expect(collector.spans.some((span) => span.spanId === payment.links[0]?.spanId)).toBe(true);
        return trace;
      },
      { timeoutMs: 15_000 },
    );
    expect(new Set(spans.map((span) => span.service))).toEqual(
      new Set(['orders', 'tickets', 'payments', 'expiration']),
    );

    const reservation = spanNamed(spans, 'orders', 'POST /api/orders');
    expect(reservation).toMatchObject({ kind: 'server', parentSpanId: callerSpanId });
    const published = spanNamed(spans, 'orders', 'publish order.created');
    expect(descendsFrom(spans, published, reservation)).toBe(true);
    for (const service of ['tickets', 'expiration', 'payments']) {
      const heard = spanNamed(spans, service, 'process order.created');
      expect([service, heard.kind, heard.parentSpanId]).toEqual([service, 'consumer', published.spanId]);
    }

    // The payment was another request: its use case continues the order's trace (through the context payments
    // stored with its replica of the order) and links to the request's own span, which began a trace of its own.
    const payment = spanNamed(spans, 'payments', 'pay for order');
    expect(descendsFrom(spans, payment, spanNamed(spans, 'payments', 'process order.created'))).toBe(true);
    expect(payment.links).toHaveLength(1);
    const paymentRequest = collector.spans.find((span) => span.spanId === payment.links[0]?.spanId);
    expect(paymentRequest).toMatchObject({ service: 'payments', name: 'POST /api/payments', kind: 'server' });
    const stripe = spanNamed(spans, 'payments', 'stripe POST /v1/payment_intents');
    expect(stripe).toMatchObject({ kind: 'client', parentSpanId: payment.spanId });
    expect(stripe.attributes['http.response.status_code']).toBe(200);

    const charged = spanNamed(spans, 'orders', 'process charge.created');
    expect(descendsFrom(spans, charged, payment)).toBe(true);
    expect(descendsFrom(spans, spanNamed(spans, 'tickets', 'process order.completed'), charged)).toBe(true);
    await waitFor(async () => expect((await showTicket(seller, ticket.id)).status).toBe('sold'));
  });
});

describe('GET /metrics on every service', () => {
  it('answers on each service with process, HTTP, pool, consumer and backlog series, after real traffic', async () => {
    const seller = await stack.signUp('seller');
    const buyer = await stack.signUp('buyer');
    const ticket = await sellTicket(seller, 10);
    const order = expectStatus(
      await waitForReply(() => buyer.post<Order>('/api/orders', { ticketId: ticket.id }), [404]),
      201,
    ).body;
    expectStatus(await pay(buyer, order), 201);
    await waitFor(async () => expect((await showTicket(seller, ticket.id)).status).toBe('sold'));

    const requests = (samples: MetricSample[], method: string, route: string, status: string) =>
      metricValue(samples, 'http_request_duration_seconds_count', { method, route, status_code: status }) ?? 0;
    const handled = (samples: MetricSample[], consumer: string) =>
      metricValue(samples, 'ticketing_events_handled_total', { consumer }) ?? 0;

    await waitFor(async () => {
      const auth = await scrape('auth');
      expect(requests(auth, 'POST', '/api/users/signup', '201')).toBeGreaterThanOrEqual(2);
      const tickets = await scrape('tickets');
      expect(requests(tickets, 'POST', '/api/tickets', '201')).toBeGreaterThanOrEqual(1);
      expect(handled(tickets, 'tickets-order-created')).toBeGreaterThanOrEqual(1);
      const orders = await scrape('orders');
      expect(requests(orders, 'POST', '/api/orders', '201')).toBeGreaterThanOrEqual(1);
      expect(handled(orders, 'orders-charge-created')).toBeGreaterThanOrEqual(1);
      const payments = await scrape('payments');
      expect(requests(payments, 'POST', '/api/payments', '201')).toBeGreaterThanOrEqual(1);
      expect(handled(payments, 'payments-order-created')).toBeGreaterThanOrEqual(1);
      const expiration = await scrape('expiration');
      expect(handled(expiration, 'expiration-order-created')).toBeGreaterThanOrEqual(1);
      // The order is paid; its timer stays until it fires (orders then ignores it).
      expect(
        metricValue(expiration, 'ticketing_job_queue_jobs', {
          queue: `${stack.namespace}-order-expiration`,
          state: 'delayed',
        }),
      ).toBeGreaterThanOrEqual(1);
    });

    for (const service of SERVICES) {
      const samples = await scrape(service);
      const where = (value: unknown) => [service, value];
      expect(where(metricValue(samples, 'process_resident_memory_bytes'))).toEqual(where(expect.any(Number)));
      // No raw path with an id ever becomes a label value.
      expect(where(samples.filter((sample) => /[0-9a-f]{8}-[0-9a-f]{4}-/.test(sample.labels.route ?? '')))).toEqual(
        where([]),
      );
      const consumers = samples.filter((sample) => sample.name === 'ticketing_consumer_backlog_messages');
      expect(where(consumers.length > 0)).toEqual(where(service !== 'auth'));
      if (service !== 'expiration') {
        expect(where(metricValue(samples, 'ticketing_outbox_oldest_unsent_age_seconds'))).toEqual(
          where(expect.any(Number)),
        );
        expect(where(metricValue(samples, 'ticketing_db_pool_max_connections'))).toEqual(where(10));
        expect(where(metricValue(samples, 'ticketing_db_pool_waiting_requests'))).toEqual(where(0));
      }
    }
  });

  it('when a malformed event reaches the listeners, then each one that gave up on it counts a dead letter', async () => {
    const kind = { kind: 'malformed' };
    const deadLetters = async (service: ServiceName, consumer: string) =>
      metricValue(await scrape(service), 'ticketing_events_dead_lettered_total', { consumer, ...kind }) ?? 0;
    const before = {
      tickets: await deadLetters('tickets', 'tickets-order-created'),
      payments: await deadLetters('payments', 'payments-order-created'),
      expiration: await deadLetters('expiration', 'expiration-order-created'),
    };
    const bus = await createTestBus({ prefix: stack.namespace });
    try {
      await publishRaw(bus, 'order.created', JSON.stringify({ id: 'not-an-event' }));
    } finally {
      // Not destroy(): the stream is the stack's.
      await bus.close();
    }

    await waitFor(async () => {
      expect(await deadLetters('tickets', 'tickets-order-created')).toBe(before.tickets + 1);
      expect(await deadLetters('payments', 'payments-order-created')).toBe(before.payments + 1);
      expect(await deadLetters('expiration', 'expiration-order-created')).toBe(before.expiration + 1);
    });
  });

  it('is not reachable through the gateway: only /api/… prefixes (and the web app) are routed', async () => {
    const response = await fetch(`${stack.url}/metrics`);
    expect(response.status).toBe(404);
    expect(await response.text()).not.toMatch(/http_request_duration_seconds|ticketing_/);
  });
});
