import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { SessionVersions } from '@ticketing/common/middleware';
import { createTestLogger, redisUrl, sessionCookieFor, waitFor } from '@ticketing/common/testing';
import { buildTestApp, buildTicket, createTicketsTestDatabase, type TicketsTestDatabase } from './helpers';

/**
 * Tickets refuses a session auth has revoked ("sign out everywhere", a password change): auth records the
 * user's new session version in the revocation feed of the Redis every service shares, and tickets'
 * middleware refuses a token below it once tickets' poll has read it (auth's own tests drive the revocation
 * through auth's routes).
 */
const keyPrefix = `test_${randomBytes(5).toString('hex')}`;
let database: TicketsTestDatabase;
let auth: SessionVersions;

beforeAll(async () => {
  database = await createTicketsTestDatabase();
  // Auth's side of the mirror, on the same prefix: what SessionVersionMirror writes, at start (the whole
  // feed, empty here) and on each revocation.
  auth = SessionVersions.connect({ url: redisUrl(), keyPrefix, logger: createTestLogger(), pollMs: 60_000 });
  await auth.waitUntilReady();
  await auth.mirrorAll([]);
});
afterAll(async () => {
  await auth.close();
  await database.drop();
});

describe('a revoked session in tickets', () => {
  it('when auth raised the user’s session version, then POST /api/tickets with the older cookie answers 401', async () => {
    const { app } = buildTestApp(database, {}, { keyPrefix, pollMs: 200 });
    const copied = sessionCookieFor(); // signed at session version 0, as before any revocation
    await request(app).post('/api/tickets').set('Cookie', copied.cookie).send(buildTicket()).expect(201);

    await auth.publish(copied.user.id, 1, 60);

    await waitFor(async () => {
      const response = await request(app).post('/api/tickets').set('Cookie', copied.cookie).send(buildTicket());
      expect(response.status).toBe(401);
      expect(response.body).toEqual({ errors: [{ message: 'Not signed in' }] });
    });
  });

  it('when another user’s version was raised, then this user’s session goes on working', async () => {
    const { app } = buildTestApp(database, {}, { keyPrefix, pollMs: 200 });
    const revoked = sessionCookieFor();
    const unaffected = sessionCookieFor();

    await auth.publish(revoked.user.id, 1, 60);
    await waitFor(async () =>
      expect((await request(app).post('/api/tickets').set('Cookie', revoked.cookie).send(buildTicket())).status).toBe(
        401,
      ),
    );

    await request(app).post('/api/tickets').set('Cookie', unaffected.cookie).send(buildTicket()).expect(201);
  });
});
