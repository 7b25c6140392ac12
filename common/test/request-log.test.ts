import { Router } from 'express';
import request from 'supertest';
import { createServiceApp } from '../src/http';
import { capturingLogger, noRevokedSessions, TEST_JWT_KEY } from '../src/testing';

/** An app whose log lines are kept, parsed, in `lines`. */
function appWithLog() {
  const { logger, lines } = capturingLogger();
  const routes = Router();
  routes.get('/api/things', (_req, res) => void res.json({ things: [] }));
  routes.get('/api/boom', () => {
    throw new Error('internals');
  });
  const app = createServiceApp({
    logger,
    session: { jwtKey: TEST_JWT_KEY, cookieSecure: false, maxAgeMs: 60_000, versions: noRevokedSessions },
    readiness: async () => ({ checks: { database: true } }),
    routes,
  });
  return { app, lines };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('one log line per request', () => {
  it('when a request is answered, then exactly one info line says its id, method, path, status and time', async () => {
    const { app, lines } = appWithLog();
    const response = await request(app).get('/api/things?page=2').set('x-request-id', 'edge-42');
    await settle();
    expect(response.headers['x-request-id']).toBe('edge-42');
    const requestLines = lines.filter((line) => line.msg === 'request completed');
    expect(requestLines).toHaveLength(1);
    expect(requestLines[0]).toMatchObject({
      level: 30,
      req: { id: 'edge-42', method: 'GET', url: '/api/things?page=2' },
      res: { statusCode: 200 },
    });
    expect(typeof requestLines[0]!.responseTime).toBe('number');
    // Never the headers: cookies live there.
    expect(JSON.stringify(requestLines[0])).not.toMatch(/cookie|headers/i);
  });

  it('when a route fails, then its line is at error with status 500, and the error itself is logged with the request id', async () => {
    const { app, lines } = appWithLog();
    const response = await request(app).get('/api/boom');
    await settle();
    expect(response.status).toBe(500);
    const id = response.headers['x-request-id'];
    expect(lines.find((line) => line.msg === 'request completed')).toMatchObject({
      level: 50,
      res: { statusCode: 500 },
    });
    expect(lines.find((line) => line.msg === 'unhandled error')).toMatchObject({ level: 50, reqId: id });
  });

  it('when probes and scrapes come, then they write no line', async () => {
    const { app, lines } = appWithLog();
    await request(app).get('/healthz');
    await request(app).get('/readyz');
    await request(app).get('/metrics');
    await settle();
    expect(lines.filter((line) => line.msg === 'request completed')).toEqual([]);
  });
});
