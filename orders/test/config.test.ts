import { sessionSettings } from '@ticketing/common/config';
import { ConfigError } from '@ticketing/common/config';
import { loadOrdersConfig } from '../src/config';

const valid = {
  DATABASE_URL: 'postgres://localhost/orders',
  NATS_URL: 'nats://localhost:4222',
  REDIS_URL: 'redis://localhost:6379',
  JWT_KEY: 'k'.repeat(32),
};

describe('orders configuration', () => {
  it('when JWT_KEY and DATABASE_URL are missing, then start fails naming both', () => {
    expect(() => loadOrdersConfig({ NATS_URL: 'nats://localhost:4222' })).toThrow(ConfigError);
    expect(() => loadOrdersConfig({ NATS_URL: 'nats://localhost:4222' })).toThrow(
      /DATABASE_URL is required.*JWT_KEY is required/,
    );
  });

  it('when only the required variables are set, then the laptop defaults apply', () => {
    const config = loadOrdersConfig(valid);
    expect(config).toMatchObject({
      PORT: 3003,
      SESSION_TTL_SECONDS: 86_400,
      ORDER_EXPIRATION_SECONDS: 900,
      ORDER_SWEEP_INTERVAL_SECONDS: 30,
      ORDER_SWEEP_GRACE_SECONDS: 30,
      NODE_ENV: 'development',
    });
    expect(sessionSettings(config).cookieSecure).toBe(false);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('when the lock window and sweep are set, then they are read as whole seconds', () => {
    expect(
      loadOrdersConfig({
        ...valid,
        ORDER_EXPIRATION_SECONDS: '60',
        ORDER_SWEEP_INTERVAL_SECONDS: '5',
        ORDER_SWEEP_GRACE_SECONDS: '0',
      }),
    ).toMatchObject({ ORDER_EXPIRATION_SECONDS: 60, ORDER_SWEEP_INTERVAL_SECONDS: 5, ORDER_SWEEP_GRACE_SECONDS: 0 });
  });

  it.each([
    ['ORDER_EXPIRATION_SECONDS', '0'],
    ['ORDER_EXPIRATION_SECONDS', 'soon'],
    ['ORDER_SWEEP_INTERVAL_SECONDS', '0'],
    ['ORDER_SWEEP_GRACE_SECONDS', '-1'],
  ])('when %s is %s, then start fails naming it', (variable, value) => {
    expect(() => loadOrdersConfig({ ...valid, [variable]: value })).toThrow(new RegExp(`${variable} is invalid`));
  });

  it('when running in production, then cookies are Secure unless COOKIE_SECURE says otherwise', () => {
    expect(sessionSettings(loadOrdersConfig({ ...valid, NODE_ENV: 'production' })).cookieSecure).toBe(true);
    expect(
      sessionSettings(loadOrdersConfig({ ...valid, NODE_ENV: 'production', COOKIE_SECURE: 'false' })).cookieSecure,
    ).toBe(false);
  });
});
