import { randomBytes } from 'node:crypto';
import { Router } from 'express';
import { Redis } from 'ioredis';
import request from 'supertest';
import { createServiceApp, probeReadiness } from '@ticketing/common/http';
import { requireAuth, SessionVersions } from '@ticketing/common/middleware';
import { sessionSettings } from '@ticketing/common/config';
import { createTestLogger, redisUrl, TcpProxy, waitFor } from '@ticketing/common/testing';
import { buildTestApp, createAuthTestDatabase, sessionCookie, signUp, type AuthTestDatabase } from './helpers';

/**
 * A copied cookie stops working after "sign out everywhere" and after a password change,
 * in every service: auth raises the user's session version and records it in Redis's revocation feed, and
 * another service's middleware (its own process, its own copy of the feed) refuses older tokens once its
 * next poll has read it.
 */
const POLL_MS = 300;

let database: AuthTestDatabase;
let keyPrefix: string;
let auth: ReturnType<typeof buildTestApp>;
let redis: Redis;
const opened: SessionVersions[] = [];

/**
 * Another service of the same deployment, as tickets is built: createServiceApp with the session settings,
 * session versions of its own process under the same Redis prefix, and a route behind requireAuth.
 */
async function buildOtherService(url = redisUrl()) {
  const versions = SessionVersions.connect({ url, keyPrefix, logger: createTestLogger(), pollMs: POLL_MS });
  opened.push(versions);
  await versions.waitUntilReady();
  await versions.start();
  const config = auth.config;
  const app = createServiceApp({
    logger: createTestLogger(),
    session: { ...sessionSettings(config), versions },
    readiness: probeReadiness({}),
    routes: Router().post('/api/tickets', requireAuth, (req, res) => {
      res.status(201).json({ userId: req.currentUser?.id });
    }),
  });
  return { app, versions };
}

const listTicket = (app: Awaited<ReturnType<typeof buildOtherService>>['app'], cookie: string) =>
  request(app).post('/api/tickets').set('Cookie', cookie).send({});

beforeAll(async () => {
  database = await createAuthTestDatabase();
  keyPrefix = `test_${randomBytes(5).toString('hex')}`;
  auth = buildTestApp(database, {}, { keyPrefix, pollMs: POLL_MS });
  // What auth's service.ts runs at start: the feed is complete from here on.
  await auth.sessionMirror.syncIfNeeded();
  redis = new Redis(redisUrl());
});
afterAll(async () => {
  await Promise.all(opened.map((versions) => versions.close()));
  redis.disconnect();
  await database.drop();
});

describe('sign out everywhere', () => {
  it('when a user signs out everywhere, then a copied cookie is refused by another service once it has polled', async () => {
    const tickets = await buildOtherService();
    const { cookie } = await signUp(auth.app);
    const copied = cookie;
    // The other service has served the user already (it knows no revocation).
    await listTicket(tickets.app, copied).expect(201);

    const signedOut = await request(auth.app)
      .post('/api/users/signout')
      .set('Cookie', cookie)
      .send({ everywhere: true })
      .expect(200);

    expect(signedOut.body).toEqual({});
    expect(([] as string[]).concat(signedOut.headers['set-cookie'] ?? []).join()).toMatch(/session=;/);
    await waitFor(async () => expect((await listTicket(tickets.app, copied)).status).toBe(401));
    await waitFor(async () =>
      expect((await request(auth.app).get('/api/users/currentuser').set('Cookie', copied)).body).toEqual({
        currentUser: null,
      }),
    );
  });

  it('when the user signs in again after signing out everywhere, then the new session works everywhere', async () => {
    const tickets = await buildOtherService();
    const { cookie, credentials } = await signUp(auth.app);
    await request(auth.app).post('/api/users/signout').set('Cookie', cookie).send({ everywhere: true }).expect(200);

    const signedIn = await request(auth.app).post('/api/users/signin').send(credentials).expect(200);

    await listTicket(tickets.app, sessionCookie(signedIn)).expect(201);
    await waitFor(async () => expect((await listTicket(tickets.app, cookie)).status).toBe(401));
  });

  it('when nobody is signed in, then signing out everywhere answers 401 and a plain sign-out still 200', async () => {
    const refused = await request(auth.app).post('/api/users/signout').send({ everywhere: true }).expect(401);
    expect(refused.body).toEqual({ errors: [{ message: 'Not signed in' }] });
    await request(auth.app).post('/api/users/signout').send({}).expect(200);
  });

  it('when everywhere is not a boolean, then it answers 400 naming it', async () => {
    const { cookie } = await signUp(auth.app);
    const response = await request(auth.app)
      .post('/api/users/signout')
      .set('Cookie', cookie)
      .send({ everywhere: 'yes' })
      .expect(400);
    expect(response.body).toEqual({ errors: [{ message: 'everywhere must be true or false', field: 'everywhere' }] });
  });
});

describe('a password change', () => {
  it('when a user changes the password, then other sessions are refused and the one that changed it stays signed in', async () => {
    const tickets = await buildOtherService();
    const { cookie: changer, credentials } = await signUp(auth.app);
    const otherDevice = sessionCookie(await request(auth.app).post('/api/users/signin').send(credentials).expect(200));
    await listTicket(tickets.app, otherDevice).expect(201);

    const changed = await request(auth.app)
      .patch('/api/users/currentuser')
      .set('Cookie', changer)
      .send({ currentPassword: credentials.password, password: 'a brand new password' })
      .expect(200);
    const fresh = sessionCookie(changed);

    await waitFor(async () => expect((await listTicket(tickets.app, otherDevice)).status).toBe(401));
    await listTicket(tickets.app, changer).expect(401);
    await listTicket(tickets.app, fresh).expect(201);
    const me = await request(auth.app).get('/api/users/currentuser').set('Cookie', fresh).expect(200);
    expect(me.body.currentUser).toMatchObject({ email: credentials.email });
  });

  it('when only the email changes, then every session stays signed in', async () => {
    const tickets = await buildOtherService();
    const { cookie, credentials, user } = await signUp(auth.app);
    const otherDevice = sessionCookie(await request(auth.app).post('/api/users/signin').send(credentials).expect(200));

    await request(auth.app)
      .patch('/api/users/currentuser')
      .set('Cookie', cookie)
      .send({ currentPassword: credentials.password, email: `renamed-${user.email}` })
      .expect(200);

    expect(await redis.get(`${keyPrefix}:session-version:${user.id}`)).toBeNull();
    await listTicket(tickets.app, otherDevice).expect(201);
  });
});

describe('when Redis misbehaves', () => {
  it('when Redis lost its data, then a running service keeps refusing what it knew and, once auth wrote the feed again, what it did not', async () => {
    const tickets = await buildOtherService();
    const before = await signUp(auth.app);
    await request(auth.app)
      .post('/api/users/signout')
      .set('Cookie', before.cookie)
      .send({ everywhere: true })
      .expect(200);
    await waitFor(async () => expect((await listTicket(tickets.app, before.cookie)).status).toBe(401));
    const keys = await redis.keys(`${keyPrefix}:session-*`);
    expect(keys.length).toBeGreaterThan(0);

    await redis.del(...keys); // as a Redis restarted without its data

    expect(await tickets.versions.refresh()).toBe('awaiting mirror');
    await listTicket(tickets.app, before.cookie).expect(401);
    // Revoked while the feed is incomplete: written now, believed once auth has written the whole feed again.
    const during = await signUp(auth.app);
    await listTicket(tickets.app, during.cookie).expect(201);
    await request(auth.app)
      .post('/api/users/signout')
      .set('Cookie', during.cookie)
      .send({ everywhere: true })
      .expect(200);

    // What service.ts runs every few seconds: the missing marker says the mirror must be written again.
    await auth.sessionMirror.syncIfNeeded();
    await waitFor(async () => expect((await listTicket(tickets.app, during.cookie)).status).toBe(401));
    await listTicket(tickets.app, before.cookie).expect(401);
    // And a process started after the loss loads it all.
    const restarted = await buildOtherService();
    expect(restarted.versions.minimumVersion(before.user.id)).toBe(1);
    await listTicket(restarted.app, before.cookie).expect(401);
    await listTicket(restarted.app, during.cookie).expect(401);
  });

  it('when Redis is unreachable, then a service goes on with the versions it knew: a revoked cookie stays refused, others work', async () => {
    const proxy = await TcpProxy.start({ host: new URL(redisUrl()).hostname, port: Number(new URL(redisUrl()).port) });
    try {
      const tickets = await buildOtherService(proxy.url('redis'));
      const revoked = await signUp(auth.app);
      const unaffected = await signUp(auth.app);
      await request(auth.app)
        .post('/api/users/signout')
        .set('Cookie', revoked.cookie)
        .send({ everywhere: true })
        .expect(200);
      await waitFor(async () => expect((await listTicket(tickets.app, revoked.cookie)).status).toBe(401));

      await proxy.cut();

      // Its poll cannot read Redis: the last known versions decide, nobody is signed out.
      expect(await tickets.versions.refresh()).toBe('unreachable');
      await listTicket(tickets.app, revoked.cookie).expect(401);
      await listTicket(tickets.app, unaffected.cookie).expect(201);
    } finally {
      await proxy.cut();
    }
  });
});
