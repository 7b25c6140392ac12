import { sessionSettings } from '@ticketing/common/config';
import { ConfigError } from '@ticketing/common/config';
import { loadAuthConfig } from '../src/config';

const valid = {
  DATABASE_URL: 'postgres://localhost/auth',
  NATS_URL: 'nats://localhost:4222',
  REDIS_URL: 'redis://localhost:6379',
  JWT_KEY: 'k'.repeat(32),
};

describe('auth configuration', () => {
  it('when JWT_KEY and DATABASE_URL are missing, then start fails naming both', () => {
    expect(() => loadAuthConfig({ NATS_URL: 'nats://localhost:4222' })).toThrow(ConfigError);
    expect(() => loadAuthConfig({ NATS_URL: 'nats://localhost:4222' })).toThrow(
      /DATABASE_URL is required.*JWT_KEY is required/,
    );
  });

  it('when only the required variables are set, then the laptop defaults apply', () => {
    const config = loadAuthConfig(valid);
    expect(config).toMatchObject({
      PORT: 3001,
      SESSION_TTL_SECONDS: 86_400,
      AUTH_RATE_LIMIT_PER_MINUTE: 30,
      ACCOUNT_UPDATE_RATE_LIMIT_PER_MINUTE: 5,
      NODE_ENV: 'development',
    });
    expect(sessionSettings(config).cookieSecure).toBe(false);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('when running in production, then cookies are Secure unless COOKIE_SECURE says otherwise', () => {
    expect(sessionSettings(loadAuthConfig({ ...valid, NODE_ENV: 'production' })).cookieSecure).toBe(true);
    expect(
      sessionSettings(loadAuthConfig({ ...valid, NODE_ENV: 'production', COOKIE_SECURE: 'false' })).cookieSecure,
    ).toBe(false);
  });

  it('when REDIS_URL is missing or not a Redis URL, then start fails naming it', () => {
    const { REDIS_URL: _omitted, ...withoutRedis } = valid;
    expect(() => loadAuthConfig(withoutRedis)).toThrow(/REDIS_URL is required/);
    expect(() => loadAuthConfig({ ...valid, REDIS_URL: 'http://localhost' })).toThrow(/REDIS_URL is invalid/);
  });

  it('when the JWT key is too short, then start fails naming it', () => {
    expect(() => loadAuthConfig({ ...valid, JWT_KEY: 'short' })).toThrow(/JWT_KEY is invalid/);
  });
});
