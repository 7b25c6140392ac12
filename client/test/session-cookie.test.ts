// Next's own cookie classes, which `cookies()` and the render after a server action's redirect use.
import { RequestCookies, ResponseCookies } from 'next/dist/compiled/@edge-runtime/cookies';
import { cookieHeaderForServices, SESSION_COOKIE, sessionValueForBrowser } from '@/lib/session-cookie';

/** A session value as cookie-session writes it: JSON in standard base64 (this one has `+`, `/` and `=`). */
const SESSION = { jwt: 'eyJhbGciOiJIUzI1NiJ9.eyJpZCI6IjEiLCJlbWFpbCI6ImE_Yj5AYy5kZSJ9.c2lnbmF0dXJl~?>' };
const SESSION_VALUE = Buffer.from(JSON.stringify(SESSION)).toString('base64');

/** How cookie-session reads the value it is sent. */
function readAsCookieSession(value: string): unknown {
  return JSON.parse(Buffer.from(value, 'base64').toString('utf8'));
}

/** The value a browser keeps from a Set-Cookie header. */
function valueOf(setCookie: string, name: string): string {
  const pair = setCookie.split(';')[0] ?? '';
  expect(pair.startsWith(`${name}=`)).toBe(true);
  return pair.slice(name.length + 1);
}

describe('the session cookie crossing Next.js', () => {
  it('has the characters Next percent-encodes, so this test exercises the problem', () => {
    expect(SESSION_VALUE).toMatch(/[+/=]/);
    const written = new ResponseCookies(new Headers());
    written.set(SESSION_COOKIE, SESSION_VALUE);
    expect(() => readAsCookieSession(valueOf(written.toString(), SESSION_COOKIE))).toThrow();
  });

  it('when a server action passes the session on, then the browser keeps a value cookie-session reads as the same session', () => {
    const written = new ResponseCookies(new Headers());
    written.set(SESSION_COOKIE, sessionValueForBrowser(SESSION_VALUE));
    expect(readAsCookieSession(valueOf(written.toString(), SESSION_COOKIE))).toEqual(SESSION);
  });

  it('when Next rebuilds the Cookie header after an action redirects, then the services get the session as the browser sent it', () => {
    const rebuilt = new RequestCookies(new Headers({ cookie: `theme=dark; ${SESSION_COOKIE}=${SESSION_VALUE}` }));
    const header = rebuilt.toString();
    expect(header).not.toContain(SESSION_VALUE);
    expect(cookieHeaderForServices(header)).toBe(`theme=dark; ${SESSION_COOKIE}=${SESSION_VALUE}`);
  });

  it('leaves alone what is not an encoded session: other cookies, a raw session, a broken escape', () => {
    expect(cookieHeaderForServices(`other=a%3Db; ${SESSION_COOKIE}=${SESSION_VALUE}`)).toBe(
      `other=a%3Db; ${SESSION_COOKIE}=${SESSION_VALUE}`,
    );
    expect(cookieHeaderForServices(`${SESSION_COOKIE}=abc%E0%A4%A`)).toBe(`${SESSION_COOKIE}=abc%E0%A4%A`);
    expect(sessionValueForBrowser('not base64; at all')).toBe('not base64; at all');
  });
});
