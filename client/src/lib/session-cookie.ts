/**
 * The services' session cookie as it crosses Next.js. No imports on purpose: the server helpers and the unit
 * test share these pure functions.
 *
 * The services' cookie (cookie-session) holds JSON in standard base64, whose `+`, `/` and `=` Next.js
 * percent-encodes in every cookie it writes: in the Set-Cookie of a server action (`cookies().set`), and in the
 * Cookie header of the page it renders right after an action's `redirect()`. cookie-session reads the raw
 * value as base64 and cannot read it percent-encoded, so a session started by a server action would be lost.
 */

/** The session cookie's name, as the services write it (`SESSION_COOKIE` in @ticketing/common). */
export const SESSION_COOKIE = 'session';

const STANDARD_BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * The session cookie's value as the browser should keep it when it comes to the browser through Next: the same
 * bytes in base64url, which Next writes untouched and cookie-session's decoder (Node's base64, which reads both
 * alphabets) reads as before. Any other value is returned as it is.
 */
export function sessionValueForBrowser(value: string): string {
  if (!STANDARD_BASE64.test(value)) return value;
  return value.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * A Cookie header for the services, with the session cookie's value as the browser set it: undoes the
 * percent-encoding Next applies to the Cookie header of the page it renders after a server action's redirect.
 * A session value never contains `%` otherwise (it is base64 or base64url), and the other cookies are the
 * browser's own, passed on as they came.
 */
export function cookieHeaderForServices(header: string): string {
  return header
    .split(/;\s*/)
    .map((pair) => {
      const separator = pair.indexOf('=');
      if (separator <= 0 || pair.slice(0, separator).trim() !== SESSION_COOKIE) return pair;
      const value = pair.slice(separator + 1);
      if (!value.includes('%')) return pair;
      try {
        return `${SESSION_COOKIE}=${decodeURIComponent(value)}`;
      } catch {
        return pair;
      }
    })
    .join('; ');
}
