import { Writable } from 'node:stream';
import { Router } from 'express';
import request from 'supertest';
import { createLogger, createServiceApp } from '../src';
import { sessionCookieFor, TEST_JWT_KEY, noRevokedSessions } from '../src/testing';

/** A destination that keeps every line the logger writes, parsed. */
function collectLines() {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        raw.push(line);
        lines.push(JSON.parse(line));
      }
      callback();
    },
  });
  return { destination, lines, text: () => raw.join('\n') };
}

describe('createLogger', () => {
  it('when an object carries passwords and a cookie, then each shows [redacted] and never the secret', () => {
    const { destination, lines, text } = collectLines();
    const logger = createLogger({ service: 'x', destination });

    logger.info(
      {
        password: 'top-level-secret',
        currentPassword: 'current-secret',
        body: { email: 'a@example.com', password: 'body-secret' },
        req: {
          headers: { cookie: 'session=cookie-secret', host: 'localhost' },
        },
      },
      'signing up',
    );

    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      password: '[redacted]',
      currentPassword: '[redacted]',
      body: { email: 'a@example.com', password: '[redacted]' },
      req: { headers: { cookie: '[redacted]', host: 'localhost' } },
    });
    for (const secret of ['top-level-secret', 'current-secret', 'body-secret', 'cookie-secret']) {
      expect(text()).not.toContain(secret);
    }
  });

  it('when a password sits three levels deep or in a list, then it is redacted there, and the logged object is left as it was', () => {
    const { destination, lines, text } = collectLines();
    const logger = createLogger({ service: 'x', destination });
    const logged = {
      attempt: { user: { email: 'a@example.com', password: 'deep-secret' } },
      changes: [{ currentPassword: 'listed-secret' }],
    };

    logger.warn(logged, 'nested');

    expect(lines[0]).toMatchObject({
      attempt: { user: { email: 'a@example.com', password: '[redacted]' } },
      changes: [{ currentPassword: '[redacted]' }],
    });
    expect(text()).not.toContain('deep-secret');
    expect(text()).not.toContain('listed-secret');
    expect(logged.attempt.user.password).toBe('deep-secret');
  });

  it('when an authorization header or a Set-Cookie is logged, then it is redacted', () => {
    const { destination, text } = collectLines();
    const logger = createLogger({ service: 'x', destination });

    logger.info({
      req: { headers: { authorization: 'Bearer token-secret' } },
      res: { headers: { 'set-cookie': 'session=set-cookie-secret' } },
    });

    expect(text()).not.toContain('token-secret');
    expect(text()).not.toContain('set-cookie-secret');
  });

  it('when several lines are logged, then every line names the service', () => {
    const { destination, lines } = collectLines();
    const logger = createLogger({ service: 'x', destination });

    logger.info('first');
    logger.warn({ orderId: 'o1' }, 'second');
    logger.child({ component: 'relay' }).error('third');

    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line.service).toBe('x');
  });

  it('when a request with a session cookie reaches a service app, then its log line never shows the cookie', async () => {
    const { destination, lines, text } = collectLines();
    const { cookie } = sessionCookieFor();
    const app = createServiceApp({
      logger: createLogger({ service: 'x', destination }),
      session: { jwtKey: TEST_JWT_KEY, cookieSecure: false, maxAgeMs: 60_000, versions: noRevokedSessions },
      readiness: async () => ({ checks: {} }),
      routes: Router().get('/anything', (_req, res) => void res.json({})),
    });

    await request(app).get('/anything').set('Cookie', cookie).expect(200);

    expect(lines.length).toBeGreaterThan(0);
    expect(text()).not.toContain(cookie.slice('session='.length));
    for (const line of lines) expect(line.service).toBe('x');
  });
});
