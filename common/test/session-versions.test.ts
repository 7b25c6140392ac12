import { randomBytes, randomUUID } from 'node:crypto';
import { Router } from 'express';
import { Redis } from 'ioredis';
import request from 'supertest';
import { createServiceApp, probeReadiness, requireAuth, SessionVersions } from '../src';
import { createTestLogger, redisUrl, sessionCookieFor, TEST_JWT_KEY, waitFor } from '../src/testing';

/** Long enough that no poll runs by itself during a test: each test reads the feed with refresh(). */
const NO_POLL_MS = 60_000;
const SESSION_TTL_SECONDS = 600;

let store: SessionVersions;
let redis: Redis;
const started: SessionVersions[] = [];

/** A prefix of its own, as one deployment: auth's writer and a service process's reader, started. */
async function deployment() {
  const keyPrefix = `test_${randomBytes(5).toString('hex')}`;
  const auth = store.scoped(keyPrefix);
  // What auth does at start: the feed is complete (empty here) from now on.
  await auth.mirrorAll([]);
  const service = store.scoped(keyPrefix, NO_POLL_MS);
  started.push(service);
  await service.start();
  return { keyPrefix, auth, service };
}

beforeAll(async () => {
  store = SessionVersions.connect({
    url: redisUrl(),
    keyPrefix: 'unused',
    logger: createTestLogger(),
    pollMs: NO_POLL_MS,
  });
  await store.waitUntilReady();
  redis = new Redis(redisUrl());
});
afterAll(async () => {
  await Promise.all(started.map((versions) => versions.stop()));
  await store.close();
  redis.disconnect();
});

describe('SessionVersions, every process’s copy of the session revocations', () => {
  it('when no version was ever raised for a user, then no revocation is known', async () => {
    const { service } = await deployment();
    expect(service.minimumVersion(randomUUID())).toBeUndefined();
  });

  it('when auth raises a user’s version, then the next poll brings it and a new process loads it at start', async () => {
    const { keyPrefix, auth, service } = await deployment();
    const userId = randomUUID();

    await auth.publish(userId, 1, SESSION_TTL_SECONDS);

    expect(service.minimumVersion(userId)).toBeUndefined(); // memory only: nothing until the poll
    expect(await service.refresh()).toBe('current');
    expect(service.minimumVersion(userId)).toBe(1);
    const later = store.scoped(keyPrefix, NO_POLL_MS);
    started.push(later);
    await later.start();
    expect(later.minimumVersion(userId)).toBe(1);
  });

  it('when two replicas write a user’s version out of order, then the higher one stays, in the key and the feed', async () => {
    const { keyPrefix, auth, service } = await deployment();
    const userId = randomUUID();
    await auth.publish(userId, 2, SESSION_TTL_SECONDS);
    expect(await auth.publish(userId, 1, SESSION_TTL_SECONDS)).toBe(2);

    await service.refresh();

    expect(service.minimumVersion(userId)).toBe(2);
    expect(await redis.get(`${keyPrefix}:session-version:${userId}`)).toBe('2');
    expect(await redis.zrange(`${keyPrefix}:session-revocations`, 0, -1)).toEqual([`${userId}:2`]);
  });

  it('when two auth replicas write many revocations while a process polls, then the process ends with every one', async () => {
    const { keyPrefix, auth, service } = await deployment();
    // The other replica on a connection of its own, so that the two really interleave in Redis.
    const otherAuth = SessionVersions.connect({
      url: redisUrl(),
      keyPrefix,
      logger: createTestLogger(),
      pollMs: NO_POLL_MS,
    });
    await otherAuth.waitUntilReady();
    try {
      const users = Array.from({ length: 1_000 }, () => randomUUID());
      let writing = true;
      const polling = (async () => {
        while (writing) await service.refresh();
      })();
      await Promise.all(
        users.flatMap((userId, index) => [
          auth.publish(userId, index % 3, SESSION_TTL_SECONDS),
          otherAuth.publish(userId, (index + 1) % 3, SESSION_TTL_SECONDS),
        ]),
      );
      writing = false;
      await polling;

      expect(await service.refresh()).toBe('current');
      for (const [index, userId] of users.entries()) {
        expect(service.minimumVersion(userId)).toBe(Math.max(index % 3, (index + 1) % 3));
      }
    } finally {
      await otherAuth.close();
    }
  });

  it('when a version is written, then it lives as long as a session (every older token has expired after that)', async () => {
    const { keyPrefix, auth } = await deployment();
    const userId = randomUUID();
    await auth.publish(userId, 1, 600);
    const ttl = await redis.ttl(`${keyPrefix}:session-version:${userId}`);
    expect(ttl).toBeGreaterThan(590);
    expect(ttl).toBeLessThanOrEqual(600);
  });

  it('when a revocation is older than a session’s lifetime, then it leaves the feed and every process', async () => {
    const { keyPrefix, auth, service } = await deployment();
    const expired = randomUUID();
    const [seconds] = await redis.time();
    const longAgo = Number(seconds) * 1000 - (SESSION_TTL_SECONDS + 60) * 1000;
    // As if written a session's lifetime ago (and then re-read by this process).
    await redis.zadd(`${keyPrefix}:session-revocations`, longAgo, `${expired}:1`);
    await service.stop();
    const loaded = store.scoped(keyPrefix, NO_POLL_MS);
    started.push(loaded);
    await loaded.start();
    expect(loaded.minimumVersion(expired)).toBe(1);

    expect(await auth.forgetExpiredRevocations(SESSION_TTL_SECONDS)).toBe(1);
    const recent = randomUUID();
    await auth.publish(recent, 1, SESSION_TTL_SECONDS);
    await loaded.refresh();

    expect(loaded.minimumVersion(expired)).toBeUndefined();
    expect(loaded.minimumVersion(recent)).toBe(1);
  });

  it('when Redis loses its data, then a process keeps what it knew until auth writes the feed again, then loads it whole', async () => {
    const { keyPrefix, auth, service } = await deployment();
    const before = randomUUID();
    await auth.publish(before, 1, SESSION_TTL_SECONDS);
    await service.refresh();
    expect(await auth.isMirrorComplete()).toBe(true);

    await redis.del(`${keyPrefix}:session-revocations`, `${keyPrefix}:session-revocations:mirrored`);
    await redis.del(`${keyPrefix}:session-version:${before}`);

    expect(await auth.isMirrorComplete()).toBe(false);
    expect(await service.refresh()).toBe('awaiting mirror');
    expect(service.minimumVersion(before)).toBe(1);

    // Auth's sync: every version raised within a session's lifetime, from its database, then a new marker.
    const after = randomUUID();
    await auth.mirrorAll([
      { userId: before, version: 1, ttlSeconds: SESSION_TTL_SECONDS },
      { userId: after, version: 4, ttlSeconds: SESSION_TTL_SECONDS },
    ]);

    expect(await service.refresh()).toBe('current');
    expect(service.minimumVersion(before)).toBe(1);
    expect(service.minimumVersion(after)).toBe(4);
  });

  it('when the feed goes back behind what a process has seen, then the process loads it whole again', async () => {
    const { keyPrefix, auth, service } = await deployment();
    const gone = randomUUID();
    await auth.publish(gone, 1, SESSION_TTL_SECONDS);
    await service.refresh();

    const kept = randomUUID();
    await redis.del(`${keyPrefix}:session-revocations`);
    await redis.zadd(`${keyPrefix}:session-revocations`, 1, `${kept}:2`);

    await service.refresh();
    expect(service.minimumVersion(gone)).toBeUndefined();
    expect(service.minimumVersion(kept)).toBe(2);
  });

  it('when the feed holds something that is not a user and a whole number, then it is skipped (never a refusal of everyone)', async () => {
    const { keyPrefix, auth, service } = await deployment();
    const userId = randomUUID();
    await redis.zadd(`${keyPrefix}:session-revocations`, Date.now(), `${userId}:garbage`, Date.now(), 'garbage');
    const other = randomUUID();
    await auth.publish(other, 1, SESSION_TTL_SECONDS);

    expect(await service.refresh()).toBe('current');
    expect(service.minimumVersion(userId)).toBeUndefined();
    expect(service.minimumVersion('garbage')).toBeUndefined();
    expect(service.minimumVersion(other)).toBe(1);
  });
});

describe('the verifying middleware', () => {
  it('when signed-in requests of many users arrive, then none makes a Redis call and a revoked session is still refused', async () => {
    const { keyPrefix, auth, service } = await deployment();
    const revoked = sessionCookieFor();
    await auth.publish(revoked.user.id, 1, SESSION_TTL_SECONDS);
    const current = sessionCookieFor({ id: revoked.user.id }, { sessionVersion: 1 });
    await service.refresh();
    const app = createServiceApp({
      logger: createTestLogger(),
      session: { jwtKey: TEST_JWT_KEY, cookieSecure: false, maxAgeMs: 60_000, versions: service },
      readiness: probeReadiness({}),
      routes: Router().get('/api/me', requireAuth, (req, res) => {
        res.json({ id: req.currentUser?.id });
      }),
    });

    // Every command Redis runs (from any connection, Lua included) that names this test's keys.
    const monitor = await redis.monitor();
    const commands: string[][] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args.some((arg) => arg.includes(keyPrefix))) commands.push(args);
    });
    /** Resolves once the monitor has seen every command Redis ran before this call. */
    const drained = async () => {
      const mark = `${keyPrefix}:mark:${randomUUID()}`;
      await redis.echo(mark);
      await waitFor(() => expect(commands.some((args) => args.includes(mark))).toBe(true));
      return commands.splice(0).filter((args) => args[0]?.toLowerCase() !== 'echo');
    };
    try {
      await drained();

      for (let index = 0; index < 50; index += 1) {
        const visitor = sessionCookieFor();
        await request(app).get('/api/me').set('Cookie', visitor.cookie).expect(200, { id: visitor.user.id });
      }
      await request(app).get('/api/me').set('Cookie', revoked.cookie).expect(401);
      await request(app).get('/api/me').set('Cookie', current.cookie).expect(200);

      expect(await drained()).toEqual([]);
      // The monitor does see this process's reads: the poll's.
      await service.refresh();
      expect((await drained()).map((args) => args[0]?.toLowerCase())).toContain('zrangebyscore');
    } finally {
      monitor.disconnect();
    }
  });
});
