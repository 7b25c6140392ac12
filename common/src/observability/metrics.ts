import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The metrics of this process, served at `GET /metrics` in Prometheus' text format: one registry per
 * process, kept apart from prom-client's global one so a library registering there cannot collide.
 * Gauges of backlogs (consumers, outbox, job queue, pool) are read when scraped, not kept up to date.
 */
export const metricsRegistry = new Registry();

let defaultMetricsOn = false;

/** Node's own metrics (CPU, memory, event loop lag, GC, handles), once per process. */
export function collectProcessMetrics(): void {
  if (defaultMetricsOn) return;
  defaultMetricsOn = true;
  // The event loop delay is sampled every 100 ms, not every 10 ms (prom-client's default): a blocked loop
  // of 100 ms or more still shows, and an idle service spends 0.6 ms of CPU a second on it instead of 4.5.
  collectDefaultMetrics({ register: metricsRegistry, eventLoopMonitoringPrecision: 100 });
}

/**
 * HTTP requests by route pattern (`/api/orders/:id`, never a path with an id in it: one series per route,
 * not per order), method and status. A request no route took (an unknown path, one shed before routing)
 * is `route="unmatched"`.
 */
export const httpRequestDuration = new Histogram({
  name: 'http_request_duration_seconds',
  help: 'Time from a request reaching the service to its answer being sent, by route pattern, method and status.',
  labelNames: ['method', 'route', 'status_code'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [metricsRegistry],
});

export const eventsHandled = new Counter({
  name: 'ticketing_events_handled_total',
  help: 'Events a durable consumer handled and acknowledged.',
  labelNames: ['consumer'] as const,
  registers: [metricsRegistry],
});

/**
 * Effects each listener transaction applied (docs/rules.md rule 2): events that arrive together share one, its
 * BEGIN and COMMIT paid once; a transaction of one effect each means none arrived while another was open.
 */
export const listenerTransactionEffects = new Histogram({
  name: 'ticketing_listener_transaction_effects',
  help: 'Effects applied in one listener transaction (events that arrived together share one).',
  buckets: [1, 2, 4, 8, 16, 32],
  registers: [metricsRegistry],
});

export const eventsRetried = new Counter({
  name: 'ticketing_events_retried_total',
  help: 'Deliveries whose handler failed and that will be retried after a delay (an early event included).',
  labelNames: ['consumer'] as const,
  registers: [metricsRegistry],
});

export const eventsDeadLettered = new Counter({
  name: 'ticketing_events_dead_lettered_total',
  help: 'Events a consumer gave up on and moved to its dead-letter subject, by why (malformed, permanent, retry-budget-exhausted).',
  labelNames: ['consumer', 'kind'] as const,
  registers: [metricsRegistry],
});

/**
 * 1 while a consumer of this process is paused because a dependency is down (docs/rules.md#rule-6): it pulls
 * nothing and holds the events in hand until the service is ready again; 0 otherwise.
 */
export const consumerPaused = new Gauge({
  name: 'ticketing_consumer_paused',
  help: 'Whether a durable consumer of this process is paused (1) until the service is ready again, its dependency being down, or running (0).',
  labelNames: ['consumer'] as const,
  registers: [metricsRegistry],
});

/** How long a scrape waits for one backlog reading (NATS, PostgreSQL, Redis) before leaving it out. */
const READING_TIMEOUT_MS = 2_000;

/** What a consumer's backlog reading returns: JetStream's `num_pending` and `num_ack_pending`. */
export interface ConsumerBacklog {
  /** Stored and not yet delivered to this consumer. */
  pending: number;
  /** Delivered and not yet acknowledged: in hand, or waiting for a retry. */
  ackPending: number;
}

const consumerBacklogs = new Map<string, () => Promise<ConsumerBacklog>>();
const outboxAges = new Set<() => Promise<number>>();
const jobQueues = new Map<string, JobQueueCounts>();
const databasePools = new Set<PoolCounts>();

/** Runs `read`, or resolves to undefined when it fails or outlasts the timeout: a scrape never hangs on it. */
async function readOrSkip<T>(read: () => Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), READING_TIMEOUT_MS);
    timer.unref();
  });
  try {
    return await Promise.race([read().catch(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

new Gauge({
  name: 'ticketing_consumer_backlog_messages',
  help: "A durable consumer's JetStream backlog when scraped: pending (not yet delivered) and ack_pending (delivered, not yet acknowledged).",
  labelNames: ['consumer', 'state'] as const,
  registers: [metricsRegistry],
  async collect() {
    this.reset();
    await Promise.all(
      [...consumerBacklogs].map(async ([consumer, read]) => {
        // Left out, rather than stale, when NATS does not answer.
        const backlog = await readOrSkip(read);
        if (!backlog) return;
        this.set({ consumer, state: 'pending' }, backlog.pending);
        this.set({ consumer, state: 'ack_pending' }, backlog.ackPending);
      }),
    );
  },
});

new Gauge({
  name: 'ticketing_outbox_oldest_unsent_age_seconds',
  help: 'Age of the oldest outbox row not yet published (0 when every row is sent): how far the relay is behind.',
  registers: [metricsRegistry],
  async collect() {
    this.reset();
    const ages = await Promise.all([...outboxAges].map((read) => readOrSkip(read)));
    const known = ages.filter((age): age is number => age !== undefined);
    if (known.length > 0) this.set(Math.max(...known));
  },
});

new Gauge({
  name: 'ticketing_job_queue_jobs',
  help: 'Jobs of a BullMQ queue when scraped: waiting (due, not yet taken) and delayed (timers not yet due).',
  labelNames: ['queue', 'state'] as const,
  registers: [metricsRegistry],
  async collect() {
    this.reset();
    await Promise.all(
      [...jobQueues].map(async ([queue, counts]) => {
        const [waiting, delayed] = await Promise.all([
          readOrSkip(() => counts.getWaitingCount()),
          readOrSkip(() => counts.getDelayedCount()),
        ]);
        if (waiting !== undefined) this.set({ queue, state: 'waiting' }, waiting);
        if (delayed !== undefined) this.set({ queue, state: 'delayed' }, delayed);
      }),
    );
  },
});

const sumOverPools = (read: (pool: PoolCounts) => number) =>
  [...databasePools].reduce((sum, pool) => sum + read(pool), 0);

new Gauge({
  name: 'ticketing_db_pool_connections',
  help: "The database pool's open connections: in_use (lent to a query or transaction) and idle.",
  labelNames: ['state'] as const,
  registers: [metricsRegistry],
  collect() {
    this.set(
      { state: 'in_use' },
      sumOverPools((pool) => pool.totalCount - pool.idleCount),
    );
    this.set(
      { state: 'idle' },
      sumOverPools((pool) => pool.idleCount),
    );
  },
});

new Gauge({
  name: 'ticketing_db_pool_waiting_requests',
  help: 'Queries and transactions waiting for a connection of the database pool (DATABASE_POOL_SIZE).',
  registers: [metricsRegistry],
  collect() {
    this.set(sumOverPools((pool) => pool.waitingCount));
  },
});

new Gauge({
  name: 'ticketing_db_pool_max_connections',
  help: 'The most connections the database pool opens (DATABASE_POOL_SIZE).',
  registers: [metricsRegistry],
  collect() {
    this.set(sumOverPools((pool) => pool.options.max ?? 10));
  },
});

/** Stops a reading registered with one of the `observe…` functions. */
export type StopObserving = () => void;

const DEAD_LETTER_KINDS = ['malformed', 'permanent', 'retry-budget-exhausted'] as const;

/**
 * Reports a durable consumer: its event counters start at zero (so a rate over them is defined before its
 * first event), and its JetStream backlog is read at each scrape (one consumer-info request). The bus does
 * this for every listener it starts.
 */
export function observeConsumer(consumer: string, read: () => Promise<ConsumerBacklog>): StopObserving {
  consumerBacklogs.set(consumer, read);
  eventsHandled.inc({ consumer }, 0);
  eventsRetried.inc({ consumer }, 0);
  for (const kind of DEAD_LETTER_KINDS) eventsDeadLettered.inc({ consumer, kind }, 0);
  consumerPaused.set({ consumer }, 0);
  return () => {
    if (consumerBacklogs.get(consumer) === read) consumerBacklogs.delete(consumer);
  };
}

/** Reports the age in seconds of an outbox's oldest unsent row at each scrape. The relay does this. */
export function observeOutboxAge(read: () => Promise<number>): StopObserving {
  outboxAges.add(read);
  return () => outboxAges.delete(read);
}

/** What a job queue's gauges read: a BullMQ `Queue` has both. */
export interface JobQueueCounts {
  getWaitingCount(): Promise<number>;
  getDelayedCount(): Promise<number>;
}

/** Reports a BullMQ queue's waiting and delayed jobs at each scrape. */
export function observeJobQueue(queue: JobQueueCounts & { name: string }): StopObserving {
  jobQueues.set(queue.name, queue);
  return () => {
    if (jobQueues.get(queue.name) === queue) jobQueues.delete(queue.name);
  };
}

/** What the pool gauges read: a `pg` Pool has these. */
export interface PoolCounts {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
  options: { max?: number };
}

/** Reports a database pool's connections in use, idle and waited for. `connectDatabase` does this. */
export function observeDatabasePool(pool: PoolCounts): StopObserving {
  databasePools.add(pool);
  return () => databasePools.delete(pool);
}
