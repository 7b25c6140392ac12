import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { Router } from 'express';
import { body } from 'express-validator';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import {
  allowSharedCaching,
  BadRequestError,
  ConflictError,
  createServiceApp,
  ForbiddenError,
  NotFoundError,
  PaymentDeclinedError,
  probeReadiness,
  requireAuth,
  signUserToken,
  validateRequest,
  verifySessionToken,
} from '../src';
import { createTestLogger, sessionCookieFor, TEST_JWT_KEY, noRevokedSessions } from '../src/testing';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Routes that fail in each of the ways a real service's routes do. */
function buildTestRoutes(): Router {
  const routes = Router();
  routes.get('/test/bad-request', () => {
    throw new BadRequestError('Price must be greater than zero', 'price');
  });
  routes.post(
    '/test/validated',
    body('email').isEmail().withMessage('Email must be valid'),
    body('password').isLength({ min: 8 }).withMessage('Password must be at least 8 characters'),
    validateRequest,
    (req, res) => {
      res.status(201).json({ email: req.body.email });
    },
  );
  routes.post('/test/echo', (req, res) => {
    res.json(req.body);
  });
  routes.get('/test/current-user', (req, res) => {
    res.json({ currentUser: req.currentUser ?? null });
  });
  routes.get('/test/signed-in-only', requireAuth, (req, res) => {
    res.json({ currentUser: req.currentUser });
  });
  routes.post('/test/sign-in', (req, res) => {
    req.session = {
      jwt: signUserToken({ id: randomUUID(), email: 'buyer@example.com' }, TEST_JWT_KEY, 900),
    };
    res.json({});
  });
  routes.get('/test/forbidden', () => {
    throw new ForbiddenError();
  });
  routes.get('/test/not-found', () => {
    throw new NotFoundError();
  });
  routes.get('/test/conflict', () => {
    throw new ConflictError('Ticket is reserved', 'ticketId');
  });
  routes.get('/test/declined', () => {
    throw new PaymentDeclinedError();
  });
  routes.get('/test/crash', () => {
    throw new Error('secret internals');
  });
  routes.get('/test/public', (_req, res) => {
    allowSharedCaching(res);
    res.json({ same: 'for everyone' });
  });
  return routes;
}

let readinessChecks: Record<string, boolean>;

/** A service app on the test routes: one that signs visitors in (auth), unless `signsIn` is false. */
function buildApp({ cookieSecure = false, signsIn = true }: { cookieSecure?: boolean; signsIn?: boolean } = {}) {
  return createServiceApp({
    logger: createTestLogger(),
    session: { jwtKey: TEST_JWT_KEY, cookieSecure, maxAgeMs: 15 * 60 * 1000, versions: noRevokedSessions, signsIn },
    readiness: async () => ({ checks: readinessChecks }),
    routes: buildTestRoutes(),
  });
}

/** One server for the whole file, so "the app still answers" means the same process and listener. */
let server: http.Server;

beforeAll(async () => {
  server = http.createServer(buildApp());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
});

beforeEach(() => {
  readinessChecks = { database: true, bus: true };
});

const api = () => request(server);

/** A session cookie exactly as cookie-session writes it, holding whatever token we give it. */
function cookieHolding(token: string): string {
  return `session=${Buffer.from(JSON.stringify({ jwt: token })).toString('base64')}`;
}

function base64UrlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe('error envelope', () => {
  it('when a route throws BadRequestError with a field, then 400 names the message and the field', async () => {
    const response = await api().get('/test/bad-request');
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      errors: [{ message: 'Price must be greater than zero', field: 'price' }],
    });
  });

  it('when express-validator rejects the body, then 400 has one entry per invalid field', async () => {
    const response = await api().post('/test/validated').send({ email: 'not-an-email', password: 'short' });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      errors: [
        { message: 'Email must be valid', field: 'email' },
        {
          message: 'Password must be at least 8 characters',
          field: 'password',
        },
      ],
    });
  });

  it('when only the email is invalid, then 400 names only the email', async () => {
    const response = await api().post('/test/validated').send({ email: 'nope', password: 'long enough' });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      errors: [{ message: 'Email must be valid', field: 'email' }],
    });
  });

  it('when the body is valid, then the route runs', async () => {
    const response = await api().post('/test/validated').send({ email: 'a@example.com', password: 'long enough' });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({ email: 'a@example.com' });
  });

  it('when no one is signed in, then requireAuth answers 401', async () => {
    const response = await api().get('/test/signed-in-only');
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ errors: [{ message: 'Not signed in' }] });
  });

  it('when a route throws ForbiddenError, then 403', async () => {
    const response = await api().get('/test/forbidden');
    expect(response.status).toBe(403);
    expect(response.body).toEqual({ errors: [{ message: 'Not allowed' }] });
  });

  it('when a route throws NotFoundError, then 404', async () => {
    const response = await api().get('/test/not-found');
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ errors: [{ message: 'Not found' }] });
  });

  it('when a route throws ConflictError, then 409 names the message and the field', async () => {
    const response = await api().get('/test/conflict');
    expect(response.status).toBe(409);
    expect(response.body).toEqual({
      errors: [{ message: 'Ticket is reserved', field: 'ticketId' }],
    });
  });

  it('when a route throws PaymentDeclinedError, then 402', async () => {
    const response = await api().get('/test/declined');
    expect(response.status).toBe(402);
    expect(response.body).toEqual({
      errors: [{ message: 'Your card was declined' }],
    });
  });

  it('when a route throws an unexpected Error, then 500 says nothing internal', async () => {
    const response = await api().get('/test/crash');
    expect(response.status).toBe(500);
    expect(response.body).toEqual({
      errors: [{ message: 'Something went wrong' }],
    });
    expect(response.text).not.toContain('secret internals');
    expect(response.text).not.toMatch(/stack|Error:/);
  });

  it('when the path is unknown, then 404 with the envelope', async () => {
    const response = await api().get('/no/such/path');
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ errors: [{ message: 'Not found' }] });
  });
});

describe('JSON bodies', () => {
  it('when the body is malformed JSON, then 400 with the envelope, not a 500', async () => {
    const response = await api().post('/test/echo').set('Content-Type', 'application/json').send('{"email": ');
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      errors: [{ message: 'Request body is not valid JSON' }],
    });
  });

  it('when the body is a 1 MB JSON document, then 413 with the envelope and the app still answers the next request', async () => {
    const huge = JSON.stringify({ filler: 'x'.repeat(1024 * 1024) });
    const response = await api().post('/test/echo').set('Content-Type', 'application/json').send(huge);
    expect(response.status).toBe(413);
    expect(response.body).toEqual({
      errors: [{ message: 'Request body is too large' }],
    });

    const next = await api().post('/test/echo').send({ small: true });
    expect(next.status).toBe(200);
    expect(next.body).toEqual({ small: true });
  });

  it('when a small body is read by hand, then every answer is the one the shared parser gives the same body made large', async () => {
    const bodies = ['{"a":1}', '\uFEFF{"a":"é"}', ' \n [1,2]', 'null', '"text"', '{"a":1} trailing', '   ', '{"a":'];
    const echo = (body: string) =>
      api()
        .post('/test/echo')
        .set('Content-Type', 'application/json')
        .send(body)
        .then((response) => ({ status: response.status, body: response.body as unknown }));
    for (const body of bodies) {
      // Past 16 KB (JSON whitespace after the document) the shared parser reads it.
      const large = await echo(`${body}${' '.repeat(17 * 1024)}`);
      expect({ sent: body, ...(await echo(body)) }).toEqual({ sent: body, ...large });
    }
    expect(await echo('')).toEqual({ status: 200, body: {} });
  });

  it('when the body uses a charset the parser refuses, then 415 with the envelope', async () => {
    const response = await api()
      .post('/test/echo')
      .set('Content-Type', 'application/json; charset=latin1')
      .send('{"a":1}');
    expect(response.status).toBe(415);
    expect(response.body).toEqual({
      errors: [{ message: expect.any(String) }],
    });
  });
});

describe('probes', () => {
  it('when /healthz is asked, then 200', async () => {
    const response = await api().get('/healthz');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ok' });
  });

  it('when every readiness check passes, then /readyz is 200', async () => {
    const response = await api().get('/readyz');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      status: 'ready',
      checks: { database: true, bus: true },
    });
  });

  it('when a consumer holds a failing event or is paused, then /readyz lists them in its details', async () => {
    const held = [
      {
        durable: 'orders-ticket-events',
        streamSequence: 42,
        ageSeconds: 95,
        firstFailedAt: new Date().toISOString(),
        lastError: 'connect ECONNREFUSED',
      },
    ];
    const paused = [
      {
        durable: 'tickets-order-created',
        since: new Date().toISOString(),
        reason: 'database "tickets" is not currently accepting connections',
        eventsInHand: 3,
      },
    ];
    const probe = probeReadiness({
      database: { isReachable: async () => true },
      bus: { isConnected: () => true, heldEvents: () => held, pausedConsumers: () => paused },
      checks: { redis: async () => false },
    });
    const response = await request(
      createServiceApp({ logger: createTestLogger(), readiness: probe, routes: Router() }),
    ).get('/readyz');
    expect(response.status).toBe(503);
    expect(response.body).toEqual({
      status: 'not ready',
      checks: { database: true, bus: true, redis: false },
      details: { heldEvents: held, pausedConsumers: paused },
    });
  });

  it('when one readiness check fails, then /readyz is 503 and names it', async () => {
    readinessChecks = { database: true, bus: false };
    const response = await api().get('/readyz');
    expect(response.status).toBe(503);
    expect(response.body).toEqual({
      status: 'not ready',
      checks: { database: true, bus: false },
    });
  });
});

describe('request ids', () => {
  it('when the caller sends x-request-id, then the same id comes back', async () => {
    const response = await api().get('/healthz').set('x-request-id', 'gateway-abc-123');
    expect(response.headers['x-request-id']).toBe('gateway-abc-123');
  });

  it('when the caller sends none, then a UUID is generated', async () => {
    const response = await api().get('/healthz');
    expect(response.headers['x-request-id']).toMatch(UUID);
  });

  it('when the caller sends an id with unsafe characters, then a UUID replaces it', async () => {
    const response = await api().get('/healthz').set('x-request-id', 'evil id\twith spaces');
    expect(response.headers['x-request-id']).toMatch(UUID);
  });

  it('when a route fails, then the error response carries the request id too', async () => {
    const response = await api().get('/test/crash');
    expect(response.headers['x-request-id']).toMatch(UUID);
  });
});

describe('session', () => {
  it('when the cookie holds a valid token, then the route sees the user', async () => {
    const { cookie, user } = sessionCookieFor({ email: 'buyer@example.com' });
    const response = await api().get('/test/current-user').set('Cookie', cookie);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ currentUser: user });
  });

  it('when the cookie holds a valid token, then requireAuth lets the request through', async () => {
    const { cookie, user } = sessionCookieFor();
    const response = await api().get('/test/signed-in-only').set('Cookie', cookie);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ currentUser: user });
  });

  it('when a token already accepted has expired, then the visitor is signed out, though it was verified before', async () => {
    const { cookie, user } = sessionCookieFor({}, { expiresInSeconds: 60 });
    expect((await api().get('/test/current-user').set('Cookie', cookie)).body).toEqual({ currentUser: user });
    const now = Date.now();
    const later = jest.spyOn(Date, 'now').mockReturnValue(now + 61_000);
    try {
      const response = await api().get('/test/current-user').set('Cookie', cookie);
      expect(response.body).toEqual({ currentUser: null });
    } finally {
      later.mockRestore();
    }
  });

  it('when a token already accepted under one key is read under another, then it is refused', () => {
    const { cookie, user } = sessionCookieFor();
    const token = (
      JSON.parse(Buffer.from(cookie.slice('session='.length), 'base64').toString('utf8')) as { jwt: string }
    ).jwt;
    expect(verifySessionToken(token, TEST_JWT_KEY)?.user).toEqual(user);
    expect(verifySessionToken(token, 'another-key-that-is-long-enough')).toBeUndefined();
    expect(verifySessionToken(token, TEST_JWT_KEY)?.user).toEqual(user);
  });

  const badCookies: Array<[string, () => string]> = [
    [
      'a tampered token (payload changed, signature kept)',
      () => {
        const { cookie } = sessionCookieFor();
        const session = JSON.parse(Buffer.from(cookie.slice('session='.length), 'base64').toString('utf8'));
        const [header, payload, signature] = (session.jwt as string).split('.');
        const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8'));
        const forged = base64UrlJson({ ...claims, id: randomUUID() });
        return cookieHolding(`${header}.${forged}.${signature}`);
      },
    ],
    [
      'a token signed with another key',
      () => sessionCookieFor({}, { jwtKey: 'another-key-that-is-long-enough' }).cookie,
    ],
    ['an expired token', () => sessionCookieFor({}, { expiresInSeconds: -10 }).cookie],
    ['a cookie that is not base64 JSON', () => 'session=%%%this-is-not-base64-json%%%'],
    ['a cookie that is base64 but not JSON', () => `session=${Buffer.from('not json').toString('base64')}`],
    ['a cookie whose JSON holds no token', () => `session=${Buffer.from('{"user":"admin"}').toString('base64')}`],
    ['a token whose payload lacks the id', () => cookieHolding(jwt.sign({ email: 'a@example.com' }, TEST_JWT_KEY))],
    [
      'a token whose id is not a UUID',
      () => cookieHolding(jwt.sign({ id: 'admin', email: 'a@example.com' }, TEST_JWT_KEY)),
    ],
    [
      'a token signed with the same key under another algorithm (HS512)',
      () =>
        cookieHolding(
          jwt.sign({ id: randomUUID(), email: 'a@example.com' }, TEST_JWT_KEY, { algorithm: 'HS512', expiresIn: 900 }),
        ),
    ],
    [
      'a token without an expiry',
      () => cookieHolding(jwt.sign({ id: randomUUID(), email: 'a@example.com' }, TEST_JWT_KEY, { noTimestamp: true })),
    ],
    [
      'a token not valid before a minute from now',
      () =>
        cookieHolding(
          jwt.sign({ id: randomUUID(), email: 'a@example.com' }, TEST_JWT_KEY, { expiresIn: 900, notBefore: 60 }),
        ),
    ],
    [
      'a valid token with a fourth part appended',
      () => {
        const { cookie } = sessionCookieFor();
        const session = JSON.parse(Buffer.from(cookie.slice('session='.length), 'base64').toString('utf8'));
        return cookieHolding(`${session.jwt as string}.e30`);
      },
    ],
    [
      'an unsigned token (alg none)',
      () =>
        cookieHolding(
          `${base64UrlJson({ alg: 'none', typ: 'JWT' })}.${base64UrlJson({ id: randomUUID(), email: 'a@example.com' })}.`,
        ),
    ],
  ];

  it('when a service that only reads the session gets a valid token, then the route sees the user and no cookie is written', async () => {
    const { cookie, user } = sessionCookieFor({ email: 'buyer@example.com' });
    const response = await request(buildApp({ signsIn: false }))
      .get('/test/current-user')
      .set('Cookie', cookie);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ currentUser: user });
    expect(response.headers['set-cookie']).toBeUndefined();
  });

  it.each(badCookies)(
    'when a service that only reads the session gets %s, then the visitor is signed out and requireAuth answers 401',
    async (_name, cookieFor) => {
      const app = buildApp({ signsIn: false });
      const cookie = cookieFor();
      expect((await request(app).get('/test/current-user').set('Cookie', cookie)).body).toEqual({ currentUser: null });
      const refused = await request(app).get('/test/signed-in-only').set('Cookie', cookie);
      expect(refused.status).toBe(401);
      expect(refused.body).toEqual({ errors: [{ message: 'Not signed in' }] });
    },
  );

  it.each(badCookies)('when the cookie holds %s, then the visitor is simply signed out', async (_name, cookieFor) => {
    const response = await api().get('/test/current-user').set('Cookie', cookieFor());
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ currentUser: null });
  });

  it.each(badCookies)('when the cookie holds %s, then requireAuth answers 401', async (_name, cookieFor) => {
    const response = await api().get('/test/signed-in-only').set('Cookie', cookieFor());
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ errors: [{ message: 'Not signed in' }] });
  });

  it('when a route signs in, then the cookie is HttpOnly, SameSite=Lax, expiring, and not Secure in development', async () => {
    const response = await api().post('/test/sign-in');
    const setCookie = ([] as string[]).concat(response.headers['set-cookie'] ?? []);
    const session = setCookie.find((line) => line.startsWith('session='));
    expect(session).toBeDefined();
    expect(session).toMatch(/;\s*httponly/i);
    expect(session).toMatch(/;\s*samesite=lax/i);
    expect(session).toMatch(/;\s*expires=/i);
    expect(session).not.toMatch(/;\s*secure/i);
  });

  it('when cookies are Secure and the gateway forwarded HTTPS, then the session cookie is Secure', async () => {
    const response = await request(buildApp({ cookieSecure: true }))
      .post('/test/sign-in')
      .set('X-Forwarded-Proto', 'https');
    expect(response.status).toBe(200);
    const setCookie = ([] as string[]).concat(response.headers['set-cookie'] ?? []);
    expect(setCookie.find((line) => line.startsWith('session='))).toMatch(/;\s*secure/i);
  });

  it('when cookies are Secure and the one trusted hop said plain http, then no session cookie is written', async () => {
    const response = await request(buildApp({ cookieSecure: true }))
      .post('/test/sign-in')
      .set('X-Forwarded-Proto', 'http');
    expect(response.status).toBe(200);
    expect(sessionCookieOf(response)).toBeUndefined();
  });

  it('when a client beyond the trusted hop claims https and the hop appended http, then the claim is not believed', async () => {
    // The hop next to the service (the edge) speaks for the connection it received; what came before it is
    // the client's word. Express itself believes the leftmost entry, which a client writes.
    const response = await request(buildApp({ cookieSecure: true }))
      .post('/test/sign-in')
      .set('X-Forwarded-Proto', 'https, http');
    expect(response.status).toBe(200);
    expect(sessionCookieOf(response)).toBeUndefined();
  });

  it('when the trusted hop appended https to what a client claimed, then the session cookie is Secure', async () => {
    const response = await request(buildApp({ cookieSecure: true }))
      .post('/test/sign-in')
      .set('X-Forwarded-Proto', 'http, https');
    expect(sessionCookieOf(response)).toMatch(/;\s*secure/i);
  });
});

function sessionCookieOf(response: request.Response): string | undefined {
  return ([] as string[]).concat(response.headers['set-cookie'] ?? []).find((line) => line.startsWith('session='));
}

describe('what caches may keep', () => {
  it('when a route says nothing, then its answer says no-store, errors included', async () => {
    const signedIn = await api().get('/test/current-user').set('Cookie', sessionCookieFor().cookie).expect(200);
    const failed = await api().get('/test/not-found').expect(404);
    const unknown = await api().get('/nowhere').expect(404);

    for (const response of [signedIn, failed, unknown]) expect(response.headers['cache-control']).toBe('no-store');
  });

  it('when a route allows shared caching, then its 200 may be kept by the edge for one second and by no browser', async () => {
    const response = await api().get('/test/public').expect(200);

    expect(response.headers['cache-control']).toBe('public, max-age=0, s-maxage=1');
  });

  it.each([0, 2, 0.5])(
    'when a route asks to be shared for %s s, then it is refused: a change must show within 1 s',
    (seconds) => {
      expect(() => allowSharedCaching({ setHeader: () => undefined } as never, seconds)).toThrow(RangeError);
    },
  );
});

describe('a service without sessions', () => {
  it('when the app has no session settings, then it sets no cookie and nobody is signed in', async () => {
    const app = createServiceApp({
      logger: createTestLogger(),
      readiness: async () => ({ checks: { redis: true } }),
      routes: buildTestRoutes(),
    });
    const { cookie } = sessionCookieFor();
    const response = await request(app).get('/test/current-user').set('Cookie', cookie).expect(200);
    expect(response.body).toEqual({ currentUser: null });
    expect(response.headers['set-cookie']).toBeUndefined();
  });
});
