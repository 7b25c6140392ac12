import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { Router, type Express } from 'express';
import request from 'supertest';
import { createServiceApp, observeJobQueue, UnitOfWork, PermanentEventError, type RunningListener } from '../src';
import {
  createTestBus,
  createTestDatabase,
  createTestLogger,
  metricValue,
  parseMetrics,
  publishRaw,
  waitFor,
  type TestBus,
  type TestDatabase,
} from '../src/testing';
import * as schema from './fixtures/schema';
import { ticketData } from './fixtures/events';

const logger = createTestLogger();

/** A service app with one route that has an id in its path, and one that holds its slot until released. */
function buildApp(options: { maxInFlight?: number } = {}) {
  const slow = { entered: false, release: () => undefined as void };
  const routes = Router()
    .get('/api/things/:id', (req, res) => {
      res.json({ id: req.params.id });
    })
    .get('/api/slow', async (_req, res) => {
      await new Promise<void>((resolve) => {
        slow.release = resolve;
        slow.entered = true;
      });
      res.json({});
    });
  const app = createServiceApp({
    logger,
    readiness: async () => ({ checks: {} }),
    routes,
    admission: { maxInFlight: options.maxInFlight ?? 256, queueTimeoutMs: 2_000 },
  });
  return { app, slow };
}

/** What GET /metrics answers now, parsed. */
async function scrape(app: Express) {
  const response = await request(app).get('/metrics');
  expect(response.status).toBe(200);
  expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseMetrics(response.text);
}

describe('GET /metrics', () => {
  it('when a route with an id is called, then the duration histogram counts it under the route pattern, never the path', async () => {
    const { app } = buildApp();
    const labels = { method: 'GET', route: '/api/things/:id', status_code: '200' };
    const before = metricValue(await scrape(app), 'http_request_duration_seconds_count', labels) ?? 0;
    const id = randomUUID();

    expect((await request(app).get(`/api/things/${id}`)).status).toBe(200);
    expect((await request(app).get(`/api/things/${randomUUID()}`)).status).toBe(200);

    const samples = await scrape(app);
    expect(metricValue(samples, 'http_request_duration_seconds_count', labels)).toBe(before + 2);
    expect(metricValue(samples, 'http_request_duration_seconds_bucket', { ...labels, le: '+Inf' })).toBe(before + 2);
    expect(samples.some((sample) => Object.values(sample.labels).some((value) => value.includes(id)))).toBe(false);
  });

  it('when a path matches no route, then it counts as route "unmatched" with its 404', async () => {
    const { app } = buildApp();
    const labels = { method: 'GET', route: 'unmatched', status_code: '404' };
    const before = metricValue(await scrape(app), 'http_request_duration_seconds_count', labels) ?? 0;

    expect((await request(app).get(`/api/nothing/${randomUUID()}`)).status).toBe(404);

    expect(metricValue(await scrape(app), 'http_request_duration_seconds_count', labels)).toBe(before + 1);
  });

  it('serves Node process metrics from the same registry', async () => {
    const samples = await scrape(buildApp().app);
    expect(metricValue(samples, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(metricValue(samples, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
  });

  it('when the service is working at its limit, then /metrics is still answered, never queued nor refused, like the probes', async () => {
    const { app, slow } = buildApp({ maxInFlight: 1 });
    const server = app.listen(0);
    try {
      const inFlight = request(server)
        .get('/api/slow')
        .then((response) => response.status);
      await waitFor(() => slow.entered);
      // The only slot stays taken: an ordinary request would wait for it, then be refused (503); a scrape is
      // answered.
      const scraped = await request(server).get('/metrics');
      expect(scraped.status).toBe(200);
      expect(scraped.text).toContain('http_request_duration_seconds');
      slow.release();
      expect(await inFlight).toBe(200);
    } finally {
      server.close();
    }
  });
});

describe('event metrics of a durable consumer', () => {
  let bus: TestBus;
  let listener: RunningListener | undefined;
  let app: Express;

  beforeEach(async () => {
    bus = await createTestBus({ retry: { baseDelayMs: 20, maxDelayMs: 50 } });
    app = buildApp().app;
  });
  afterEach(async () => {
    await listener?.stop();
    listener = undefined;
    await bus.destroy();
  });

  const counter = async (name: string, labels: Record<string, string>) => metricValue(await scrape(app), name, labels);

  it('when a listener starts, then its counters are there at zero, and each event it handles adds one', async () => {
    const consumer = `metrics-handled-${randomUUID().slice(0, 8)}`;
    let handled = 0;
    listener = await bus.listen({ subject: 'ticket.created', durable: consumer, handle: async () => void handled++ });
    expect(await counter('ticketing_events_handled_total', { consumer })).toBe(0);
    expect(await counter('ticketing_events_retried_total', { consumer })).toBe(0);
    expect(await counter('ticketing_events_dead_lettered_total', { consumer, kind: 'malformed' })).toBe(0);

    await bus.publish('ticket.created', ticketData());
    await bus.publish('ticket.created', ticketData());

    await waitFor(async () => expect(await counter('ticketing_events_handled_total', { consumer })).toBe(2));
    expect(handled).toBe(2);
  });

  it('when a handler fails once, then the retry is counted, then the event is handled', async () => {
    const consumer = `metrics-retried-${randomUUID().slice(0, 8)}`;
    let attempts = 0;
    listener = await bus.listen({
      subject: 'ticket.created',
      durable: consumer,
      handle: async () => {
        attempts += 1;
        if (attempts === 1) throw new Error('database unreachable');
      },
    });

    await bus.publish('ticket.created', ticketData());

    await waitFor(async () => expect(await counter('ticketing_events_handled_total', { consumer })).toBe(1));
    expect(await counter('ticketing_events_retried_total', { consumer })).toBe(1);
  });

  it('when events are dead-lettered, then each counts under its kind: malformed and permanent', async () => {
    const consumer = `metrics-dead-${randomUUID().slice(0, 8)}`;
    listener = await bus.listen({
      subject: 'ticket.created',
      durable: consumer,
      handle: async () => {
        throw new PermanentEventError('this ticket can never be applied');
      },
    });

    await publishRaw(bus, 'ticket.created', '{"not": "an envelope"}');
    await bus.publish('ticket.created', ticketData());

    await waitFor(async () => {
      expect(await counter('ticketing_events_dead_lettered_total', { consumer, kind: 'malformed' })).toBe(1);
      expect(await counter('ticketing_events_dead_lettered_total', { consumer, kind: 'permanent' })).toBe(1);
    });
    expect(await counter('ticketing_events_handled_total', { consumer })).toBe(0);
  });

  it('when a consumer falls behind, then its JetStream backlog shows at the scrape, and drains to zero', async () => {
    const consumer = `metrics-backlog-${randomUUID().slice(0, 8)}`;
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    listener = await bus.listen({ subject: 'ticket.created', durable: consumer, handle: () => gate });
    for (let count = 0; count < 20; count += 1) await bus.publish('ticket.created', ticketData());

    // One event in hand, the rest either delivered to the client's buffer (ack pending) or not yet (pending).
    await waitFor(async () => {
      const samples = await scrape(app);
      const pending = metricValue(samples, 'ticketing_consumer_backlog_messages', { consumer, state: 'pending' });
      const ackPending = metricValue(samples, 'ticketing_consumer_backlog_messages', {
        consumer,
        state: 'ack_pending',
      });
      expect((pending ?? 0) + (ackPending ?? 0)).toBe(20);
      expect(ackPending).toBeGreaterThanOrEqual(1);
    });

    open();
    await waitFor(async () => {
      const samples = await scrape(app);
      expect(metricValue(samples, 'ticketing_consumer_backlog_messages', { consumer, state: 'pending' })).toBe(0);
      expect(metricValue(samples, 'ticketing_consumer_backlog_messages', { consumer, state: 'ack_pending' })).toBe(0);
    });
  });

  it('when a listener stops, then its backlog is no longer reported', async () => {
    const consumer = `metrics-stopped-${randomUUID().slice(0, 8)}`;
    listener = await bus.listen({ subject: 'ticket.created', durable: consumer, handle: async () => undefined });
    expect(metricValue(await scrape(app), 'ticketing_consumer_backlog_messages', { consumer, state: 'pending' })).toBe(
      0,
    );

    await listener.stop();
    listener = undefined;

    expect(
      metricValue(await scrape(app), 'ticketing_consumer_backlog_messages', { consumer, state: 'pending' }),
    ).toBeUndefined();
  });
});

describe('outbox, pool and job queue gauges', () => {
  let database: TestDatabase<typeof schema>;
  let bus: TestBus;
  let unitOfWork: UnitOfWork;
  const app = () => buildApp().app;

  beforeAll(async () => {
    database = await createTestDatabase(path.join(__dirname, 'fixtures', 'migrations'), schema);
    bus = await createTestBus();
  });
  afterAll(async () => {
    await bus.destroy();
    await database.drop();
  });
  afterEach(async () => {
    await unitOfWork?.relay.stop();
  });

  it('when the relay cannot publish, then the age of the oldest unsent row grows; once it can, it is 0', async () => {
    await database.db.execute(sql`TRUNCATE outbox`);
    unitOfWork = new UnitOfWork(database.db, { logger, pollIntervalMs: 20 });
    await database.db.execute(sql`
      insert into outbox (event_id, subject, data, occurred_at)
      values (${randomUUID()}, 'ticket.created', ${JSON.stringify(ticketData())}::jsonb, now() - interval '30 seconds')`);
    let publishing = false;
    unitOfWork.relay.start({
      publishEnvelope: async (envelope, options) => {
        if (!publishing) throw new Error('NATS unreachable');
        return bus.publishEnvelope(envelope, options);
      },
    });

    const age = metricValue(await scrape(app()), 'ticketing_outbox_oldest_unsent_age_seconds');
    expect(age).toBeGreaterThanOrEqual(30);
    expect(age).toBeLessThan(60);

    publishing = true;
    await waitFor(async () =>
      expect(metricValue(await scrape(app()), 'ticketing_outbox_oldest_unsent_age_seconds')).toBe(0),
    );
  });

  it('when a transaction holds a connection, then the pool shows it in use; released, idle', async () => {
    const poolSize = database.pool.options.max ?? 10;
    expect(metricValue(await scrape(app()), 'ticketing_db_pool_max_connections')).toBeGreaterThanOrEqual(poolSize);
    let finish!: () => void;
    const held = database.db.transaction(async (tx) => {
      await tx.execute(sql`select 1`);
      await new Promise<void>((resolve) => (finish = resolve));
    });
    await waitFor(() => finish !== undefined);

    const during = await scrape(app());
    expect(metricValue(during, 'ticketing_db_pool_connections', { state: 'in_use' })).toBeGreaterThanOrEqual(1);
    expect(metricValue(during, 'ticketing_db_pool_waiting_requests')).toBe(0);

    finish();
    await held;
    const after = await scrape(app());
    expect(metricValue(after, 'ticketing_db_pool_connections', { state: 'in_use' })).toBe(0);
    expect(metricValue(after, 'ticketing_db_pool_connections', { state: 'idle' })).toBeGreaterThanOrEqual(1);
  });

  it('when a job queue is observed, then its waiting and delayed jobs are read at each scrape', async () => {
    const counts = { waiting: 2, delayed: 5 };
    const stop = observeJobQueue({
      name: 'test-timers',
      getWaitingCount: async () => counts.waiting,
      getDelayedCount: async () => counts.delayed,
    });
    try {
      let samples = await scrape(app());
      expect(metricValue(samples, 'ticketing_job_queue_jobs', { queue: 'test-timers', state: 'waiting' })).toBe(2);
      expect(metricValue(samples, 'ticketing_job_queue_jobs', { queue: 'test-timers', state: 'delayed' })).toBe(5);
      counts.delayed = 4;
      samples = await scrape(app());
      expect(metricValue(samples, 'ticketing_job_queue_jobs', { queue: 'test-timers', state: 'delayed' })).toBe(4);
    } finally {
      stop();
    }
    expect(
      metricValue(await scrape(app()), 'ticketing_job_queue_jobs', { queue: 'test-timers', state: 'waiting' }),
    ).toBeUndefined();
  });
});
