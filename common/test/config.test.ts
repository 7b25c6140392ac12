import { ConfigError, loadConfig, serviceEnvironment, sessionEnvironment } from '../src';

const schema = serviceEnvironment(3000).extend(sessionEnvironment.shape);

/** The smallest environment a session-reading service starts with; override what a test is about. */
function buildEnv(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return {
    DATABASE_URL: 'postgres://ticketing:secret@localhost:5432/auth',
    NATS_URL: 'nats://localhost:4222',
    JWT_KEY: 'a-jwt-key-of-at-least-16-chars',
    REDIS_URL: 'redis://localhost:6379',
    ...overrides,
  };
}

/** The ConfigError `load` throws; fails the test when it does not throw one. */
function configErrorOf(load: () => unknown): ConfigError {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError, but the configuration loaded');
}

describe('loadConfig', () => {
  it('when the environment is valid, then it parses with the laptop defaults', () => {
    const config = loadConfig(schema, buildEnv());
    expect(config).toMatchObject({
      NODE_ENV: 'development',
      PORT: 3000,
      LOG_LEVEL: 'info',
      DATABASE_URL: 'postgres://ticketing:secret@localhost:5432/auth',
      NATS_URL: 'nats://localhost:4222',
      NATS_STREAM: 'TICKETING',
      NATS_SUBJECT_PREFIX: 'ticketing',
      JWT_KEY: 'a-jwt-key-of-at-least-16-chars',
      SESSION_VERSION_CACHE_MS: 5_000,
    });
    expect(config.COOKIE_SECURE).toBeUndefined();
  });

  it('when REDIS_URL is missing or SESSION_VERSION_CACHE_MS is not a few seconds, then start fails naming it', () => {
    expect(configErrorOf(() => loadConfig(schema, buildEnv({ REDIS_URL: undefined }))).problems).toEqual([
      'REDIS_URL is required',
    ]);
    expect(configErrorOf(() => loadConfig(schema, buildEnv({ SESSION_VERSION_CACHE_MS: '3600000' }))).problems).toEqual(
      [expect.stringMatching(/^SESSION_VERSION_CACHE_MS is invalid/)],
    );
    // It is a poll's interval: 0 would read Redis in a loop.
    expect(configErrorOf(() => loadConfig(schema, buildEnv({ SESSION_VERSION_CACHE_MS: '0' }))).problems).toEqual([
      expect.stringMatching(/^SESSION_VERSION_CACHE_MS is invalid/),
    ]);
  });

  it('when the environment sets PORT and NODE_ENV, then they win over the defaults', () => {
    const config = loadConfig(schema, buildEnv({ PORT: '4100', NODE_ENV: 'production' }));
    expect(config.PORT).toBe(4100);
    expect(config.NODE_ENV).toBe('production');
  });

  it('when the environment is valid, then the result is frozen', () => {
    const config = loadConfig(schema, buildEnv());
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      (config as { PORT: number }).PORT = 1;
    }).toThrow(TypeError);
  });

  it('when JWT_KEY and DATABASE_URL are missing, then the error names both as required', () => {
    const error = configErrorOf(() => loadConfig(schema, buildEnv({ JWT_KEY: undefined, DATABASE_URL: undefined })));
    expect(error.message).toContain('JWT_KEY is required');
    expect(error.message).toContain('DATABASE_URL is required');
    expect(error.problems).toEqual(expect.arrayContaining(['JWT_KEY is required', 'DATABASE_URL is required']));
  });

  it('when a required variable is set but empty, then it is named as required', () => {
    const error = configErrorOf(() => loadConfig(schema, buildEnv({ NATS_URL: '' })));
    expect(error.message).toContain('NATS_URL is required');
  });

  it('when PORT is not a number, then PORT is named as invalid', () => {
    const error = configErrorOf(() => loadConfig(schema, buildEnv({ PORT: 'abc' })));
    expect(error.message).toContain('PORT is invalid');
  });

  it('when DATABASE_URL is an http:// URL, then DATABASE_URL is named as invalid', () => {
    const error = configErrorOf(() => loadConfig(schema, buildEnv({ DATABASE_URL: 'http://localhost:5432/auth' })));
    expect(error.message).toContain('DATABASE_URL is invalid');
  });

  it('when DATABASE_URL uses postgresql://, then it is accepted', () => {
    const config = loadConfig(schema, buildEnv({ DATABASE_URL: 'postgresql://localhost/auth' }));
    expect(config.DATABASE_URL).toBe('postgresql://localhost/auth');
  });

  it('when JWT_KEY is shorter than 16 characters, then JWT_KEY is named as invalid', () => {
    const error = configErrorOf(() => loadConfig(schema, buildEnv({ JWT_KEY: 'short' })));
    expect(error.message).toContain('JWT_KEY is invalid');
  });

  it.each([
    ['true', true],
    ['false', false],
    [undefined, undefined],
  ])('when COOKIE_SECURE is %p, then it reads as %p', (value, expected) => {
    const config = loadConfig(schema, buildEnv({ COOKIE_SECURE: value }));
    expect(config.COOKIE_SECURE).toBe(expected);
  });

  it('when DATABASE_POOL_SIZE is unset, then pools open at most 10 connections; set, it wins; 1 is refused', () => {
    expect(loadConfig(schema, buildEnv()).DATABASE_POOL_SIZE).toBe(10);
    expect(loadConfig(schema, buildEnv({ DATABASE_POOL_SIZE: '24' })).DATABASE_POOL_SIZE).toBe(24);
    const error = configErrorOf(() => loadConfig(schema, buildEnv({ DATABASE_POOL_SIZE: '1' })));
    expect(error.message).toContain('DATABASE_POOL_SIZE is invalid');
  });

  it('when EVENT_LISTENER_CONCURRENCY is unset, then listeners handle 8 events at once; set, it wins', () => {
    expect(loadConfig(schema, buildEnv()).EVENT_LISTENER_CONCURRENCY).toBe(8);
    expect(loadConfig(schema, buildEnv({ EVENT_LISTENER_CONCURRENCY: '1' })).EVENT_LISTENER_CONCURRENCY).toBe(1);
  });

  it.each(['0', '65', '2.5', 'many'])('when EVENT_LISTENER_CONCURRENCY is %p, then it is named as invalid', (value) => {
    const error = configErrorOf(() => loadConfig(schema, buildEnv({ EVENT_LISTENER_CONCURRENCY: value })));
    expect(error.message).toContain('EVENT_LISTENER_CONCURRENCY is invalid');
  });

  it('when COOKIE_SECURE is neither true nor false, then it is named as invalid', () => {
    const error = configErrorOf(() => loadConfig(schema, buildEnv({ COOKIE_SECURE: 'yes' })));
    expect(error.message).toContain('COOKIE_SECURE is invalid');
  });
});
