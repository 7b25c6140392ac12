/**
 * Where a visitor may be sent after signing in or up: `?next=` is resolved the way a browser resolves a
 * link, and followed only when it stays on this site. Prefix checks on the raw string miss the forms a
 * browser rewrites: it drops tabs and newlines (`/%09/evil.example` arrives as "/\t/evil.example" and
 * becomes `//evil.example`), reads `\` as `/`, and collapses `/..//evil` into a path that starts with `//`.
 * No imports on purpose: the pages, the forms and the unit test share this one function.
 */

/**
 * The origin paths are resolved against when the caller does not know the site's public one (a server
 * component behind the gateway or ingress sees an internal host). Any origin gives the same answers, since
 * only the path of a same-origin result is returned, never the host.
 */
export const STAND_IN_ORIGIN = 'http://ticketing.invalid';

/**
 * `next` as a path on this site (`/orders/123?x=1#y`), or `/` when it is missing, malformed, or would
 * lead anywhere else (`//evil`, `/\evil`, `https://evil`, `javascript:…`).
 */
export function toSameOriginPath(next: string | string[] | null | undefined, siteOrigin = STAND_IN_ORIGIN): string {
  if (typeof next !== 'string' || next === '') return '/';
  const origin = new URL(siteOrigin).origin;
  let target: URL;
  try {
    target = new URL(next, origin);
  } catch {
    return '/';
  }
  if (target.origin !== origin) return '/';
  const path = `${target.pathname}${target.search}${target.hash}`;
  // The path is followed as a relative link again, so it must lead back to the same place: "/..//evil"
  // resolves on this site, yet its path "//evil" would be read as another host.
  let again: URL;
  try {
    again = new URL(path, origin);
  } catch {
    return '/';
  }
  return again.href === target.href ? path : '/';
}
