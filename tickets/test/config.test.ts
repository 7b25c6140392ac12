import { liveStreamSettings } from '@ticketing/common/live';
import { sessionSettings } from '@ticketing/common/config';
import { ConfigError } from '@ticketing/common/config';
import { TEST_PASS_SIGNING_KEY } from '@ticketing/common/testing';
import { loadTicketsConfig } from '../src/config';

const valid = {
  DATABASE_URL: 'postgres://localhost/tickets',
  NATS_URL: 'nats://localhost:4222',
  JWT_KEY: 'k'.repeat(32),
  REDIS_URL: 'redis://localhost:6379',
  PASS_SIGNING_KEY: TEST_PASS_SIGNING_KEY,
};

describe('tickets configuration', () => {
  it('when JWT_KEY and DATABASE_URL are missing, then start fails naming both', () => {
    expect(() => loadTicketsConfig({ NATS_URL: 'nats://localhost:4222' })).toThrow(ConfigError);
    expect(() => loadTicketsConfig({ NATS_URL: 'nats://localhost:4222' })).toThrow(
      /DATABASE_URL is required.*JWT_KEY is required/,
    );
  });

  it('when only the required variables are set, then the laptop defaults apply', () => {
    const config = loadTicketsConfig(valid);
    expect(config).toMatchObject({ PORT: 3002, SESSION_TTL_SECONDS: 86_400, NODE_ENV: 'development' });
    expect(sessionSettings(config).cookieSecure).toBe(false);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('when the live stream limits are unset, then each address gets a twentieth of the streams, and each stream and the process a bounded buffer', () => {
    expect(liveStreamSettings(loadTicketsConfig(valid))).toMatchObject({
      maxStreams: 2_000,
      maxStreamsPerAddress: 100,
      maxBufferedBytesPerStream: 64 * 1024,
      maxBufferedBytes: 16 * 1024 * 1024,
    });
    expect(liveStreamSettings(loadTicketsConfig({ ...valid, SSE_MAX_CLIENTS: '10' })).maxStreamsPerAddress).toBe(1);
    expect(
      liveStreamSettings(
        loadTicketsConfig({
          ...valid,
          SSE_MAX_CLIENTS_PER_ADDRESS: '7',
          SSE_MAX_BUFFER_KB_PER_STREAM: '32',
          SSE_MAX_BUFFER_MB: '8',
        }),
      ),
    ).toMatchObject({
      maxStreamsPerAddress: 7,
      maxBufferedBytesPerStream: 32 * 1024,
      maxBufferedBytes: 8 * 1024 * 1024,
    });
    expect(() => loadTicketsConfig({ ...valid, SSE_MAX_CLIENTS_PER_ADDRESS: '0' })).toThrow(
      /SSE_MAX_CLIENTS_PER_ADDRESS is invalid/,
    );
  });

  it('when running in production, then cookies are Secure unless COOKIE_SECURE says otherwise', () => {
    expect(sessionSettings(loadTicketsConfig({ ...valid, NODE_ENV: 'production' })).cookieSecure).toBe(true);
    expect(
      sessionSettings(loadTicketsConfig({ ...valid, NODE_ENV: 'production', COOKIE_SECURE: 'false' })).cookieSecure,
    ).toBe(false);
  });

  it('when the session lifetime is not a whole number of seconds, then start fails naming it', () => {
    expect(() => loadTicketsConfig({ ...valid, SESSION_TTL_SECONDS: 'a day' })).toThrow(
      /SESSION_TTL_SECONDS is invalid/,
    );
  });

  it('when PASS_SIGNING_KEY is missing or not 32 bytes, then start fails naming it', () => {
    const { PASS_SIGNING_KEY: _unset, ...withoutKey } = valid;
    expect(() => loadTicketsConfig(withoutKey)).toThrow(/PASS_SIGNING_KEY is required/);
    expect(() => loadTicketsConfig({ ...valid, PASS_SIGNING_KEY: 'c2hvcnQ' })).toThrow(/PASS_SIGNING_KEY/);
  });

  it('when CHECKIN_WINDOW_HOURS is unset, then the door admits until 12 hours after the start', () => {
    expect(loadTicketsConfig(valid).CHECKIN_WINDOW_HOURS).toBe(12);
    expect(loadTicketsConfig({ ...valid, CHECKIN_WINDOW_HOURS: '6' }).CHECKIN_WINDOW_HOURS).toBe(6);
  });

  it('when RESALE_PRICE_CAP is unset, then a resale is capped at face value (1)', () => {
    expect(loadTicketsConfig(valid).RESALE_PRICE_CAP).toBe(1);
    expect(loadTicketsConfig({ ...valid, RESALE_PRICE_CAP: '1.2' }).RESALE_PRICE_CAP).toBe(1.2);
  });

  it.each(['0', '-1', 'a lot', '1.00001', '11'])('when RESALE_PRICE_CAP is %s, then start fails naming it', (cap) => {
    expect(() => loadTicketsConfig({ ...valid, RESALE_PRICE_CAP: cap })).toThrow(/RESALE_PRICE_CAP/);
  });
});
