import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { Router } from 'express';
import type { Msg } from '@nats-io/transport-node';
import request from 'supertest';
import {
  createServiceApp,
  currentTraceCarrier,
  inSpan,
  inTraceOf,
  UnitOfWork,
  SpanKind,
  startTracing,
  type RunningListener,
  type TraceCarrier,
  type Tracing,
} from '../src';
import {
  createTestBus,
  createTestDatabase,
  createTestLogger,
  startTraceCollector,
  waitFor,
  type CollectedSpan,
  type TestBus,
  type TestDatabase,
  type TraceCollector,
} from '../src/testing';
import * as schema from './fixtures/schema';

const logger = createTestLogger();
const userEvent = () => ({ id: randomUUID(), email: `${randomUUID()}@example.com`, version: 0 });

let database: TestDatabase<typeof schema>;
let bus: TestBus;
let unitOfWork: UnitOfWork;
let listener: RunningListener | undefined;

beforeAll(async () => {
  database = await createTestDatabase(path.join(__dirname, 'fixtures', 'migrations'), schema);
});
afterAll(async () => {
  await database.drop();
});
beforeEach(async () => {
  bus = await createTestBus();
  unitOfWork = new UnitOfWork(database.db, { logger, pollIntervalMs: 20 });
  await database.db.execute(sql`TRUNCATE outbox, processed_events`);
});
afterEach(async () => {
  await listener?.stop();
  listener = undefined;
  await unitOfWork.relay.stop();
  await bus.destroy();
});

/** The raw messages of a subject as they cross the bus, headers included (a core subscription). */
function watchMessages(subject: 'user.created'): Msg[] {
  const seen: Msg[] = [];
  bus.connection.subscribe(bus.wireSubject(subject), { callback: (_error, message) => void seen.push(message) });
  return seen;
}

/** A listener of user.created that remembers the trace context each event was handled in. */
async function listenRememberingContexts(durable: string): Promise<(TraceCarrier | undefined)[]> {
  const contexts: (TraceCarrier | undefined)[] = [];
  listener = await bus.listen({
    subject: 'user.created',
    durable,
    handle: async () => void contexts.push(currentTraceCarrier()),
  });
  return contexts;
}

describe('with tracing off (no OTEL_EXPORTER_OTLP_ENDPOINT)', () => {
  it('when an event crosses the bus, then nothing is traced: no SDK, no trace column, no headers', async () => {
    const tracing = startTracing({ serviceName: 'test', endpoint: undefined, logger });
    expect(tracing.enabled).toBe(false);
    const messages = watchMessages('user.created');
    const contexts = await listenRememberingContexts('tracing-off');
    unitOfWork.relay.start(bus);

    await inSpan('request', { kind: SpanKind.SERVER }, () =>
      unitOfWork.transaction((_tx, events) => events.record('user.created', userEvent())),
    );

    await waitFor(() => expect(contexts).toHaveLength(1));
    expect(contexts[0]).toBeUndefined();
    const [row] = (await database.db.execute(sql`select trace_context from outbox`)).rows;
    expect(row).toEqual({ trace_context: null });
    await waitFor(() => expect(messages).toHaveLength(1));
    expect(messages[0]?.headers?.get('traceparent') ?? '').toBe('');
  });
});

describe('with tracing on', () => {
  let collector: TraceCollector;
  let tracing: Tracing;

  beforeAll(async () => {
    collector = await startTraceCollector();
    tracing = startTracing({ serviceName: 'tracing-test', endpoint: collector.endpoint, logger });
  });
  afterAll(async () => {
    await tracing.shutdown();
    await collector.close();
  });

  /** Every span of a trace, once `count` of them (at least) reached the collector. */
  async function spansOf(traceId: string, count: number): Promise<CollectedSpan[]> {
    return waitFor(async () => {
      await tracing.flush();
      const spans = collector.spans.filter((span) => span.traceId === traceId);
      expect(spans.length).toBeGreaterThanOrEqual(count);
      return spans;
    });
  }

  const named = (spans: CollectedSpan[], name: string): CollectedSpan => {
    const found = spans.filter((span) => span.name === name);
    if (found.length !== 1) throw new Error(`${found.length} spans named ${name} in ${spans.map((s) => s.name)}`);
    return found[0] as CollectedSpan;
  };

  it('when a use case records an event, then its context crosses the outbox and the bus into the listener: one trace, parent to child', async () => {
    const messages = watchMessages('user.created');
    const contexts = await listenRememberingContexts('tracing-crossing');
    unitOfWork.relay.start(bus);

    const traceId = await inSpan('request', { kind: SpanKind.SERVER }, async (span) => {
      await unitOfWork.transaction((_tx, events) => events.record('user.created', userEvent()));
      return span?.spanContext().traceId as string;
    });

    const spans = await spansOf(traceId, 4);
    const requestSpan = named(spans, 'request');
    const transaction = named(spans, 'transaction');
    const publish = named(spans, 'publish user.created');
    const processed = named(spans, 'process user.created');
    expect(requestSpan.parentSpanId).toBeUndefined();
    expect(transaction.parentSpanId).toBe(requestSpan.spanId);
    // The relay published later, from its own loop: the context came from the outbox row.
    expect(publish).toMatchObject({ kind: 'producer', parentSpanId: transaction.spanId });
    expect(processed).toMatchObject({
      kind: 'consumer',
      parentSpanId: publish.spanId,
      attributes: expect.objectContaining({ 'messaging.consumer.group.name': 'tracing-crossing' }),
    });
    expect(new Set(spans.map((span) => span.service))).toEqual(new Set(['tracing-test']));
    // On the wire: the producer span's context, as W3C traceparent.
    await waitFor(() => expect(messages).toHaveLength(1));
    expect(messages[0]?.headers?.get('traceparent')).toBe(`00-${traceId}-${publish.spanId}-01`);
    // The handler ran under the consumer span, so what it records joins the trace too.
    expect(contexts[0]?.traceparent).toBe(`00-${traceId}-${processed.spanId}-01`);
  });

  it('when an event is published outside any trace, then the listener starts a trace of its own', async () => {
    const contexts = await listenRememberingContexts('tracing-root');

    await bus.publish('user.created', userEvent());

    await waitFor(() => expect(contexts).toHaveLength(1));
    const traceId = contexts[0]?.traceparent?.split('-')[1] as string;
    const spans = await spansOf(traceId, 2);
    expect(named(spans, 'publish user.created').parentSpanId).toBeUndefined();
    expect(named(spans, 'process user.created').parentSpanId).toBe(named(spans, 'publish user.created').spanId);
  });

  it('when a request carries traceparent, then its server span continues that trace, named by route pattern, and its events carry it on', async () => {
    const contexts = await listenRememberingContexts('tracing-http');
    unitOfWork.relay.start(bus);
    const app = createServiceApp({
      logger,
      readiness: async () => ({ checks: {} }),
      routes: Router().post('/api/users/:id/notes', async (_req, res) => {
        await unitOfWork.transaction((_tx, events) => events.record('user.created', userEvent()));
        res.status(201).json({});
      }),
    });
    const traceId = randomUUID().replace(/-/g, '');
    const callerSpanId = '00f067aa0ba902b7';

    const response = await request(app)
      .post(`/api/users/${randomUUID()}/notes`)
      .set('traceparent', `00-${traceId}-${callerSpanId}-01`)
      .send({ body: 'hello' });

    expect(response.status).toBe(201);
    const spans = await spansOf(traceId, 4);
    const server = named(spans, 'POST /api/users/:id/notes');
    expect(server).toMatchObject({
      kind: 'server',
      parentSpanId: callerSpanId,
      attributes: expect.objectContaining({ 'http.route': '/api/users/:id/notes', 'http.response.status_code': 201 }),
    });
    expect(named(spans, 'transaction').parentSpanId).toBe(server.spanId);
    await waitFor(() => expect(contexts).toHaveLength(1));
    expect(contexts[0]?.traceparent).toContain(traceId);
  });

  it('when a handler fails, then its delivery span says so, and the retry is a new span of the same trace', async () => {
    let attempts = 0;
    listener = await bus.listen({
      subject: 'user.created',
      durable: 'tracing-retry',
      handle: async () => {
        attempts += 1;
        if (attempts === 1) throw new Error('database unreachable');
      },
    });
    unitOfWork.relay.start(bus);

    const traceId = await inSpan('request', {}, async (span) => {
      await unitOfWork.transaction((_tx, events) => events.record('user.created', userEvent()));
      return span?.spanContext().traceId as string;
    });

    const spans = await spansOf(traceId, 5);
    const deliveries = spans.filter((span) => span.name === 'process user.created');
    expect(deliveries).toHaveLength(2);
    expect(deliveries.map((span) => span.attributes['messaging.nats.delivery_count']).sort()).toEqual([1, 2]);
    const failed = deliveries.find((span) => span.attributes['messaging.nats.delivery_count'] === 1);
    expect(failed?.statusCode).toBe(2);
    expect(deliveries.every((span) => span.parentSpanId === named(spans, 'publish user.created').spanId)).toBe(true);
  });

  it("when work belongs to an entity's stored trace, then it joins that trace, linked to the request at hand", async () => {
    const stored = await inSpan('reservation', {}, async () => currentTraceCarrier());
    const [, reservationTrace, reservationSpan] = stored?.traceparent?.split('-') ?? [];

    const requestTrace = await inSpan('payment request', { kind: SpanKind.SERVER }, async (span) => {
      await inTraceOf('pay for order', stored, async () => undefined);
      return span?.spanContext();
    });

    const spans = await spansOf(reservationTrace as string, 2);
    const payment = named(spans, 'pay for order');
    expect(payment.parentSpanId).toBe(reservationSpan);
    expect(payment.links).toEqual([{ traceId: requestTrace?.traceId, spanId: requestTrace?.spanId }]);
  });
});
