import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { SessionVersions } from '../src';
import { createTestLogger, redisUrl } from '../src/testing';

const keyPrefix = `test_${randomBytes(5).toString('hex')}`;
let versions: SessionVersions;
let redis: Redis;

beforeAll(async () => {
  versions = SessionVersions.connect({ url: redisUrl(), keyPrefix, logger: createTestLogger(), cacheMs: 0 });
  await versions.waitUntilReady();
  redis = new Redis(redisUrl());
});
afterAll(async () => {
  await versions.close();
  redis.disconnect();
});

describe('SessionVersions, the shared copy of the users’ session versions', () => {
  it('when no version was ever raised for a user, then no revocation is known', async () => {
    expect(await versions.minimumVersion(randomUUID())).toBeUndefined();
  });

  it('when two replicas write a user’s version out of order, then the higher one stays', async () => {
    const userId = randomUUID();
    await versions.publish(userId, 2, 60);
    await versions.publish(userId, 1, 60);
    expect(await versions.minimumVersion(userId)).toBe(2);
  });

  it('when a version is written, then it lives as long as a session (every older token has expired after that)', async () => {
    const userId = randomUUID();
    await versions.publish(userId, 1, 600);
    const ttl = await redis.ttl(`${keyPrefix}:session-version:${userId}`);
    expect(ttl).toBeGreaterThan(590);
    expect(ttl).toBeLessThanOrEqual(600);
  });

  it('when the whole mirror is written, then it says so until Redis loses it', async () => {
    const scoped = versions.scoped(`${keyPrefix}_mirror`);
    const userId = randomUUID();
    expect(await scoped.isMirrorComplete()).toBe(false);

    await scoped.mirrorAll([{ userId, version: 3, ttlSeconds: 60 }]);

    expect(await scoped.isMirrorComplete()).toBe(true);
    expect(await scoped.minimumVersion(userId)).toBe(3);
    await redis.del(`${keyPrefix}_mirror:session-versions:mirrored`);
    expect(await scoped.isMirrorComplete()).toBe(false);
  });

  it('when Redis holds something that is not a whole number, then no revocation is known (never a refusal of everyone)', async () => {
    const userId = randomUUID();
    await redis.set(`${keyPrefix}:session-version:${userId}`, 'garbage');
    expect(await versions.minimumVersion(userId)).toBeUndefined();
  });
});
