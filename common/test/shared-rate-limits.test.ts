import { randomUUID } from 'node:crypto';
import http from 'node:http';
import express, { Router } from 'express';
import pino from 'pino';
import request from 'supertest';
import { createServiceApp, perClientAddress, type SharedRateLimits } from '../src';
import { closeTestRateLimits, createTestLogger, createTestRateLimits } from '../src/testing';

afterAll(closeTestRateLimits);

/** A service replica whose one route is limited to `points` per minute per client address. */
function buildReplica(limits: SharedRateLimits, points = 2) {
  return createServiceApp({
    logger: createTestLogger(),
    readiness: async () => ({ checks: {} }),
    routes: Router().get(
      '/limited',
      limits.limit({ name: 'test', points, windowSeconds: 60, key: perClientAddress }),
      (_req, res) => void res.json({ ok: true }),
    ),
  });
}

describe('shared rate limits in Redis', () => {
  it('when a client exceeds the limit, then 429 with the envelope and Retry-After', async () => {
    const app = buildReplica(await createTestRateLimits());
    await request(app).get('/limited').expect(200);
    await request(app).get('/limited').expect(200);
    const response = await request(app).get('/limited').expect(429);
    expect(response.body).toEqual({ errors: [{ message: 'Too many requests, please try again later' }] });
    expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(response.headers['retry-after'])).toBeLessThanOrEqual(60);
  });

  it('when a client spreads its requests over two replicas, then they count together', async () => {
    // Two apps with their own connection to Redis, sharing only the deployment's key prefix: two replicas.
    const keyPrefix = `test_${randomUUID().slice(0, 8)}`;
    const first = buildReplica(await createTestRateLimits({ keyPrefix }));
    const second = buildReplica(await createTestRateLimits({ keyPrefix }));
    await request(first).get('/limited').expect(200);
    await request(second).get('/limited').expect(200);
    await request(first).get('/limited').expect(429);
    await request(second).get('/limited').expect(429);
  });

  it('when a client forges the left of X-Forwarded-For, then it is still limited by the address the gateway saw', async () => {
    const app = buildReplica(await createTestRateLimits());
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const response = await request(app)
        .get('/limited')
        .set('X-Forwarded-For', `198.51.100.${attempt + 1}, 203.0.113.7`);
      statuses.push(response.status);
    }
    expect(statuses).toEqual([200, 200, 429]);
  });

  it('when Redis is unreachable, then the limit fails open, logs it once, and never answers 500', async () => {
    // A port nothing listens on: the store is down.
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const app = express().use(
      buildReplica(await createTestRateLimits({ url: `redis://127.0.0.1:${port}`, logger }), 1),
    );
    for (let attempt = 0; attempt < 4; attempt += 1) await request(app).get('/limited').expect(200);
    expect(lines.filter((line) => line.msg === 'rate limit store unreachable; limit open')).toEqual([
      expect.objectContaining({ limit: 'test', level: 40 }),
    ]);
  });
});
