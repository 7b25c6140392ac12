import { ConfigError } from '@ticketing/common/config';
import { loadExpirationConfig } from '../src/config';

const valid = { NATS_URL: 'nats://localhost:4222', REDIS_URL: 'redis://localhost:6379' };

describe('expiration configuration', () => {
  it('when REDIS_URL and NATS_URL are missing, then start fails naming both', () => {
    expect(() => loadExpirationConfig({})).toThrow(ConfigError);
    expect(() => loadExpirationConfig({})).toThrow(/NATS_URL is required.*REDIS_URL is required/);
  });

  it('when only the required variables are set, then the defaults apply and no database is asked for', () => {
    const config = loadExpirationConfig(valid);
    expect(config).toMatchObject({
      PORT: 3005,
      EXPIRATION_QUEUE: 'order-expiration',
      NATS_STREAM: 'TICKETING',
      NATS_SUBJECT_PREFIX: 'ticketing',
      NODE_ENV: 'development',
      EXPIRATION_WORKER_CONCURRENCY: 50,
    });
    expect(config).not.toHaveProperty('DATABASE_URL');
    expect(config).not.toHaveProperty('DATABASE_POOL_SIZE');
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('when REDIS_URL is not a redis:// URL, then start fails naming it', () => {
    expect(() => loadExpirationConfig({ ...valid, REDIS_URL: 'http://localhost:6379' })).toThrow(
      /REDIS_URL is invalid/,
    );
    expect(loadExpirationConfig({ ...valid, REDIS_URL: 'rediss://cache.example.com:6380' }).REDIS_URL).toBe(
      'rediss://cache.example.com:6380',
    );
  });

  it.each(['0', '1001', '1.5', 'lots'])(
    'when EXPIRATION_WORKER_CONCURRENCY is %p, then start fails naming it',
    (value) => {
      expect(() => loadExpirationConfig({ ...valid, EXPIRATION_WORKER_CONCURRENCY: value })).toThrow(
        /EXPIRATION_WORKER_CONCURRENCY is invalid/,
      );
    },
  );

  it('when the queue name holds a colon, then start fails naming EXPIRATION_QUEUE', () => {
    expect(() => loadExpirationConfig({ ...valid, EXPIRATION_QUEUE: 'orders:expiry' })).toThrow(
      /EXPIRATION_QUEUE is invalid/,
    );
  });
});
