import { probeReadiness } from '@ticketing/common/http';
import request from 'supertest';
import type { Redis } from 'ioredis';
import { createTestBus, createTestLogger, type TestBus } from '@ticketing/common/testing';
import { buildApp } from '../src/app';
import { closeRedis, connectRedis, isRedisReachable } from '../src/queue/redis';
import { redisUrl } from './helpers';

/** The app as service.ts builds it: ready when Redis answers PING and the bus is connected. */
function buildTestApp(redis: Redis, bus: TestBus) {
  const readiness = probeReadiness({ bus, checks: { redis: () => isRedisReachable(redis) } });
  return buildApp({ logger: createTestLogger(), readiness });
}

describe('health probes', () => {
  let bus: TestBus;
  let redis: Redis;

  beforeEach(async () => {
    bus = await createTestBus();
    redis = await connectRedis({
      url: redisUrl(),
      connectionName: 'health-test',
      logger: createTestLogger(),
      forWorker: false,
    });
  });
  afterEach(async () => {
    await closeRedis(redis);
    await bus.destroy();
  });

  it('when Redis and the bus answer, then /healthz is alive and /readyz is ready', async () => {
    const app = buildTestApp(redis, bus);
    await request(app).get('/healthz').expect(200, { status: 'ok' });
    await request(app)
      .get('/readyz')
      .expect(200, {
        status: 'ready',
        checks: { redis: true, bus: true },
        details: { heldEvents: [], pausedConsumers: [] },
      });
  });

  it('when the Redis connection is gone, then /readyz answers 503 naming Redis, and /healthz stays alive', async () => {
    const app = buildTestApp(redis, bus);
    await closeRedis(redis);
    await request(app)
      .get('/readyz')
      .expect(503, {
        status: 'not ready',
        checks: { redis: false, bus: true },
        details: { heldEvents: [], pausedConsumers: [] },
      });
    await request(app).get('/healthz').expect(200, { status: 'ok' });
  });

  it('when the bus is closed, then /readyz answers 503 naming the bus', async () => {
    const app = buildTestApp(redis, bus);
    await bus.close();
    await request(app)
      .get('/readyz')
      .expect(503, {
        status: 'not ready',
        checks: { redis: true, bus: false },
        details: { heldEvents: [], pausedConsumers: [] },
      });
  });

  it('when a path does not exist, then it answers 404 with the error envelope', async () => {
    const response = await request(buildTestApp(redis, bus)).get('/api/expiration').expect(404);
    expect(response.body).toEqual({ errors: [{ message: 'Not found' }] });
  });
});

describe('connecting to Redis', () => {
  it('when Redis does not answer, then connecting fails after the timeout naming where, without the password', async () => {
    const attempt = connectRedis({
      url: 'redis://user:secret-password@127.0.0.1:1/0',
      connectionName: 'unreachable',
      logger: createTestLogger(),
      forWorker: false,
      connectTimeoutMs: 300,
    });
    await expect(attempt).rejects.toThrow(/Redis at redis:\/\/127\.0\.0\.1:1\/0 not reachable after 300 ms/);
    await expect(attempt).rejects.not.toThrow(/secret-password/);
  });
});
