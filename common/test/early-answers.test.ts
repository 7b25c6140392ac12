import * as http from 'node:http';
import * as net from 'node:net';
import { Router } from 'express';
import request from 'supertest';
import { createServiceApp, type EarlyAnswer } from '../src/http';
import { requireAuth, signedInUser } from '../src/middleware';
import {
  capturingLogger,
  createTestLogger,
  metricValue,
  noRevokedSessions,
  parseMetrics,
  sessionCookieFor,
  TEST_JWT_KEY,
} from '../src/testing';

/** An app whose POST /api/things is answered early for `{ known: true }`, else by its route (which counts). */
function appWithEarlyAnswer(
  logger = createTestLogger(),
  admission?: { maxInFlight: number; queueTimeoutMs: number },
  routeTakes?: Promise<void>,
) {
  const routeCalls: unknown[] = [];
  const earlyCalls: unknown[] = [];
  const early: EarlyAnswer = {
    method: 'POST',
    path: '/api/things',
    answer(body, _res, user) {
      earlyCalls.push({ body, user });
      if ((body as { broken?: unknown }).broken === true) throw new Error('memory is broken');
      if ((body as { known?: unknown }).known !== true) return undefined;
      return { status: 409, body: { errors: [{ message: 'Known from memory' }] } };
    },
  };
  const routes = Router().post('/api/things', requireAuth, async (req, res) => {
    routeCalls.push({ body: req.body, rawBody: req.rawBody?.toString('utf8'), user: signedInUser(req) });
    await routeTakes;
    res.status(201).json({ ok: true });
  });
  const app = createServiceApp({
    logger,
    session: { jwtKey: TEST_JWT_KEY, cookieSecure: false, maxAgeMs: 60_000, versions: noRevokedSessions },
    readiness: async () => ({ checks: {} }),
    routes,
    earlyAnswers: [early],
    admission,
  });
  return { app, routeCalls, earlyCalls };
}

describe('answers from memory, before the shared middleware', () => {
  it('when a signed-in caller asks what memory knows, then the early answer is sent and the route never runs', async () => {
    const { app, routeCalls, earlyCalls } = appWithEarlyAnswer();
    const { cookie, user } = sessionCookieFor();
    const response = await request(app).post('/api/things').set('Cookie', cookie).send({ known: true });
    expect(response.status).toBe(409);
    expect(response.body).toEqual({ errors: [{ message: 'Known from memory' }] });
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(earlyCalls).toEqual([{ body: { known: true }, user }]);
    expect(routeCalls).toEqual([]);
  });

  it('when memory answers, then the answer has the request id, one line and its duration metric, as a routed answer would', async () => {
    const { logger, lines } = capturingLogger();
    const { app } = appWithEarlyAnswer(logger);
    const { cookie } = sessionCookieFor();
    const labels = { method: 'POST', route: '/api/things', status_code: '409' };
    const counted = async () =>
      metricValue(
        parseMetrics((await request(app).get('/metrics')).text),
        'http_request_duration_seconds_count',
        labels,
      ) ?? 0;
    const before = await counted();

    const response = await request(app)
      .post('/api/things')
      .set('Cookie', cookie)
      .set('X-Request-Id', 'early-1')
      .send({ known: true });
    expect(response.status).toBe(409);
    expect(response.headers['x-request-id']).toBe('early-1');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(lines.filter((line) => line.msg === 'request completed')).toEqual([
      expect.objectContaining({
        level: 30,
        req: { id: 'early-1', method: 'POST', url: '/api/things' },
        res: { statusCode: 409 },
        responseTime: expect.any(Number),
      }),
    ]);
    expect(await counted()).toBe(before + 1);
  });

  it('when memory fails, then the caller gets the 500 envelope every route gives and the failure is logged', async () => {
    const { logger, lines } = capturingLogger();
    const { app, routeCalls } = appWithEarlyAnswer(logger);
    const { cookie } = sessionCookieFor();
    const response = await request(app).post('/api/things').set('Cookie', cookie).send({ broken: true });
    expect(response.status).toBe(500);
    expect(response.body).toEqual({ errors: [{ message: expect.any(String) }] });
    expect(JSON.stringify(response.body)).not.toContain('memory is broken');
    expect(routeCalls).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(lines.filter((line) => line.msg === 'request completed' && line.level === 50)).toHaveLength(1);
  });

  it('when memory does not know, then the route gets the same body (and its exact bytes) and the same user', async () => {
    const { app, routeCalls } = appWithEarlyAnswer();
    const { cookie, user } = sessionCookieFor();
    const response = await request(app)
      .post('/api/things')
      .set('Cookie', cookie)
      .set('Content-Type', 'application/json')
      .send('{"known": false}');
    expect(response.status).toBe(201);
    expect(routeCalls).toEqual([{ body: { known: false }, rawBody: '{"known": false}', user }]);
  });

  it('when nobody is signed in, then memory is not asked and the route answers 401', async () => {
    const { app, earlyCalls } = appWithEarlyAnswer();
    const response = await request(app).post('/api/things').send({ known: true });
    expect(response.status).toBe(401);
    expect(earlyCalls).toEqual([]);
  });

  it('when the body is not JSON or carries unsafe text, then it is the 400 envelope every route gives, and memory is not asked', async () => {
    const { app, earlyCalls } = appWithEarlyAnswer();
    const { cookie } = sessionCookieFor();
    const malformed = await request(app)
      .post('/api/things')
      .set('Cookie', cookie)
      .set('Content-Type', 'application/json')
      .send('{"known": tru');
    expect(malformed.status).toBe(400);
    expect(malformed.body).toEqual({ errors: [{ message: 'Request body is not valid JSON' }] });
    const notAnObject = await request(app)
      .post('/api/things')
      .set('Cookie', cookie)
      .set('Content-Type', 'application/json')
      .send('"known"');
    expect(notAnObject.status).toBe(400);
    const unsafe = await request(app).post('/api/things').set('Cookie', cookie).send({ known: true, note: 'a\u0000b' });
    expect(unsafe.status).toBe(400);
    expect(unsafe.body).toEqual({ errors: [expect.objectContaining({ field: 'note' })] });
    expect(earlyCalls).toEqual([]);
  });

  it('when the cookie holds a token signed with another key, then memory is not asked', async () => {
    const { app, earlyCalls } = appWithEarlyAnswer();
    const { cookie } = sessionCookieFor({}, { jwtKey: 'another-key-that-is-long-enough' });
    const response = await request(app)
      .post('/api/things')
      .set('Cookie', `theme=dark; ${cookie}`)
      .send({ known: true });
    expect(response.status).toBe(401);
    expect(earlyCalls).toEqual([]);

    // The same among other cookies, with a good token: asked.
    const good = sessionCookieFor();
    const answered = await request(app)
      .post('/api/things')
      .set('Cookie', `theme=dark; ${good.cookie}; lang=en`)
      .send({ known: true });
    expect(answered.status).toBe(409);
  });

  it('when the body is not plain small JSON (another charset, too large), then it goes the whole way and the route answers', async () => {
    const { app, routeCalls, earlyCalls } = appWithEarlyAnswer();
    const { cookie } = sessionCookieFor();
    const utf16 = await request(app)
      .post('/api/things')
      .set('Cookie', cookie)
      .set('Content-Type', 'application/json; charset=utf-16')
      .send('{"known": true}');
    // The shared parser's own answer: it decodes the charset declared, and these bytes are not UTF-16 JSON.
    expect(utf16.status).toBe(400);
    expect(utf16.body).toEqual({ errors: [{ message: 'Request body is not valid JSON' }] });
    const large = await request(app)
      .post('/api/things')
      .set('Cookie', cookie)
      .send({ known: true, padding: 'x'.repeat(20_000) });
    expect(large.status).toBe(201);
    expect(earlyCalls).toEqual([]);
    expect(routeCalls).toHaveLength(1);
  });

  it('when the caller leaves in the middle of its body, then nothing is answered from memory and no error is logged', async () => {
    const { logger, lines } = capturingLogger();
    const { app, earlyCalls, routeCalls } = appWithEarlyAnswer(logger);
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as net.AddressInfo;
      const { cookie } = sessionCookieFor();
      const socket = net.connect(port, '127.0.0.1');
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      socket.write(
        `POST /api/things HTTP/1.1\r\nHost: x\r\nCookie: ${cookie}\r\nContent-Type: application/json\r\n` +
          'Content-Length: 100\r\n\r\n{"known":',
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      socket.destroy();
      await new Promise((resolve) => setTimeout(resolve, 200));

      expect(earlyCalls).toEqual([]);
      expect(routeCalls).toEqual([]);
      expect(lines.filter((line) => (line.level as number) >= 50)).toEqual([]);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('when every slot of the service is taken, then memory still answers at once (one line each), and a request that needs a slot waits, is refused 503 and is summed up, not logged alone', async () => {
    const { logger, lines } = capturingLogger();
    let finishRoute = () => {};
    const routeTakes = new Promise<void>((resolve) => (finishRoute = resolve));
    const { app, routeCalls } = appWithEarlyAnswer(logger, { maxInFlight: 1, queueTimeoutMs: 300 }, routeTakes);
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const agent = request(server);
      const { cookie } = sessionCookieFor();
      const holding = agent
        .post('/api/things')
        .set('Cookie', cookie)
        .send({ known: false })
        .then((r) => r);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(routeCalls).toHaveLength(1);

      const known = await agent.post('/api/things').set('Cookie', cookie).send({ known: true });
      expect(known.status).toBe(409);
      const waiting = await agent.post('/api/things').set('Cookie', cookie).send({ known: false });
      expect(waiting.status).toBe(503);
      expect(waiting.headers['retry-after']).toBe('1');
      expect(routeCalls).toHaveLength(1);

      finishRoute();
      expect((await holding).status).toBe(201);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const statuses = lines
        .filter((line) => line.msg === 'request completed')
        .map((line) => (line.res as { statusCode: number }).statusCode)
        .sort();
      expect(statuses).toEqual([201, 409]);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
