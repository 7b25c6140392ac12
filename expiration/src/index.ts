import {
  EventBus,
  createLogger,
  observeJobQueue,
  probeReadiness,
  runService,
  startListeners,
  startServiceTracing,
} from '@ticketing/common';
import { buildApp } from './app';
import { loadExpirationConfig } from './config';
import { expirationListeners } from './events';
import { startExpirationWorker } from './expiration/expire-order';
import { createExpirationQueue } from './queue/expiration-queue';
import { closeRedis, connectRedis, isRedisReachable } from './queue/redis';

const config = loadExpirationConfig();
const logger = createLogger({ service: 'expiration', level: config.LOG_LEVEL });

// Parts stop in reverse order: HTTP, listeners (no new timers), worker (finishes the timer in hand, which
// still needs the bus), queue, bus, Redis.
void runService(logger, async (lifecycle) => {
  // First, so that it stops last and the spans of the shutdown are sent too.
  startServiceTracing(lifecycle, config, 'expiration', logger);

  const redis = await connectRedis({ url: config.REDIS_URL, connectionName: 'expiration', logger, forWorker: false });
  lifecycle.onStop('redis', () => closeRedis(redis));
  const workerRedis = await connectRedis({
    url: config.REDIS_URL,
    connectionName: 'expiration-worker',
    logger,
    forWorker: true,
  });
  lifecycle.onStop('worker redis', () => closeRedis(workerRedis));

  const bus = await EventBus.connectWithConfig(config, 'expiration', logger);
  lifecycle.onStop('bus', () => bus.close());

  const queue = createExpirationQueue(config.EXPIRATION_QUEUE, redis);
  lifecycle.onStop('queue', () => queue.close());
  // Its waiting and delayed timers are counted at each scrape of /metrics.
  const stopObservingQueue = observeJobQueue(queue);
  lifecycle.onStop('queue metrics', async () => stopObservingQueue());
  // Timers scheduled before a restart are still in Redis: the worker runs those whose time has come.
  const worker = startExpirationWorker({
    queueName: config.EXPIRATION_QUEUE,
    connection: workerRedis,
    publisher: bus,
    logger,
    concurrency: config.EXPIRATION_WORKER_CONCURRENCY,
  });
  lifecycle.onStop('worker', () => worker.close());

  // Before the listeners: a listener whose dependency is down pauses until this passes (Redis; docs/rules.md#rule-6).
  const readiness = probeReadiness({ bus, checks: { redis: () => isRedisReachable(redis) } });
  const listeners = await startListeners(bus, expirationListeners(queue), { readiness });
  lifecycle.onStop('listeners', () => listeners.stop());

  await lifecycle.listen(buildApp({ logger, readiness }), { host: config.HOST, port: config.PORT });
});
