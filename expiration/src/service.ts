import { defineService } from '@ticketing/common/service';
import { observeJobQueue } from '@ticketing/common/observability';
import { buildApp } from './app';
import { loadExpirationConfig } from './config';
import { expirationListeners } from './events';
import { startExpirationWorker } from './expiration/expire-order';
import { createExpirationQueue } from './queue/expiration-queue';
import { closeRedis, connectRedis, isRedisReachable } from './queue/redis';

/**
 * The expiration service's parts; index.ts starts them (common's startService owns the order). No database:
 * its only state is the timers, in Redis. What `connect` opens stops in reverse after the listeners (no new
 * timers): the worker (finishes the timer in hand, which still needs the bus, stopped after), the queue,
 * then Redis.
 */
export const expirationService = defineService({
  name: 'expiration',
  loadConfig: () => loadExpirationConfig(),
  connect: async ({ config, logger, bus }, lifecycle) => {
    const redis = await connectRedis({ url: config.REDIS_URL, connectionName: 'expiration', logger, forWorker: false });
    lifecycle.onStop('redis', () => closeRedis(redis));
    const workerRedis = await connectRedis({
      url: config.REDIS_URL,
      connectionName: 'expiration-worker',
      logger,
      forWorker: true,
    });
    lifecycle.onStop('worker redis', () => closeRedis(workerRedis));

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
    return { redis, queue };
  },
  // A listener whose dependency is down pauses until Redis answers again (docs/rules.md#rule-6).
  readinessChecks: ({ redis }) => ({ redis: () => isRedisReachable(redis) }),
  listeners: ({ queue }) => expirationListeners(queue),
  app: ({ logger, readiness }) => buildApp({ logger, readiness }),
});
