import { isIP } from 'node:net';
import { cache } from 'react';
import { cookies, headers } from 'next/headers';
import { apiBaseUrl, authApiBaseUrl } from './config';
import { readApiResponse, unreachable, type ApiResult } from './envelope';
import type { CurrentUserResponse, User } from '@ticketing/common/api';
import { cookieHeaderForServices, SESSION_COOKIE, sessionValueForBrowser } from './session-cookie';

/**
 * The server side's way to the API, `${API_URL}/api/...` (the edge), and `${AUTH_API_URL}/api/users/...` (auth
 * itself, see `authApiBaseUrl`): `api` for server components and server actions that act for the visitor (it
 * forwards their cookie, so the services see the same session the browser holds, and the edge's word on their
 * scheme and address), and `publicApi` for the public pages, which must not depend on who is looking. Neither
 * throws for HTTP or network failures; a stopped service comes back as `{ ok: false, status: 503 }`.
 */

const TIMEOUT_MS = 10_000;

interface ApiInit {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
}

export async function api<T>(path: string, init: ApiInit = {}): Promise<ApiResult<T>> {
  const requestHeaders = await headers();
  const outgoing = new Headers({ accept: 'application/json' });
  const cookie = requestHeaders.get('cookie');
  if (cookie) outgoing.set('cookie', cookieHeaderForServices(cookie));
  // The scheme the visitor used, as the edge stated it: the services believe one hop, and without it a session
  // started here (a sign-in without JavaScript) would be a Secure cookie refused over this plain-http call.
  const visitorProtocol = edgeStatedProtocol(requestHeaders.get('x-forwarded-proto'));
  if (visitorProtocol) outgoing.set('x-forwarded-proto', visitorProtocol);
  // The address the visitor came from, as the edge saw it: auth's per-address limits on sign-in and sign-up
  // then count visitors, not the web app (every visitor together).
  const visitorAddress = edgeSeenAddress(requestHeaders.get('x-forwarded-for'));
  if (visitorAddress) outgoing.set('x-forwarded-for', visitorAddress);
  if (init.body !== undefined) outgoing.set('content-type', 'application/json');

  const response = await send(path, outgoing, init);
  if (!response) return unreachable();
  await passBackCookies(response);
  return readApiResponse<T>(response);
}

/**
 * A read that is the same for everyone, for the public pages (`/`, `/tickets/[id]`), which the edge shares
 * for a second: it sends no cookie, so nothing the page renders can depend on who is looking (what does is
 * filled in by the browser), and it asks the edge for a fresh answer (`Cache-Control: no-cache`), so a page
 * is never older than its own second at the edge, and `router.refresh()` after a change shows the change.
 */
export async function publicApi<T>(path: string): Promise<ApiResult<T>> {
  const response = await send(path, new Headers({ accept: 'application/json', 'cache-control': 'no-cache' }));
  return response ? readApiResponse<T>(response) : unreachable();
}

/**
 * The edge's own entry of the visitor's X-Forwarded-Proto (the last: an edge that appends leaves what the
 * visitor claimed before it), or undefined when there is none to pass on.
 */
function edgeStatedProtocol(header: string | null): 'http' | 'https' | undefined {
  const stated = header?.split(',').pop()?.trim().toLowerCase();
  return stated === 'http' || stated === 'https' ? stated : undefined;
}

/**
 * The edge's own entry of the visitor's X-Forwarded-For (the last: the address the edge saw, after whatever the
 * visitor wrote), or undefined when it is not an address. Next fills the header with its peer's address when
 * no proxy sent one, so the web app reached directly (a laptop) passes on its caller's address.
 */
function edgeSeenAddress(header: string | null): string | undefined {
  const seen = header?.split(',').pop()?.trim();
  return seen && isIP(seen) !== 0 ? seen : undefined;
}

/**
 * Calls on the visitor's session go to auth itself, the rest to the edge (whose micro-cache stands between
 * page renders and the services); a path under /api/users as the edge routes it, not /api/usersx.
 */
function baseUrlFor(path: string): string {
  return /^\/api\/users(?:[/?#]|$)/.test(path) ? authApiBaseUrl() : apiBaseUrl();
}

/** The request itself; undefined when no HTTP answer came back (connection refused, timeout). */
async function send(path: string, outgoing: Headers, init: ApiInit = {}): Promise<Response | undefined> {
  try {
    return await fetch(new URL(path, baseUrlFor(path)), {
      method: init.method ?? 'GET',
      headers: outgoing,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      cache: 'no-store',
      redirect: 'manual',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch {
    return undefined;
  }
}

/** GET /api/users/currentuser, once per request, for the signed-in-only pages that decide on the server. */
export const loadCurrentUser = cache(() => api<CurrentUserResponse>('/api/users/currentuser'));

/** The signed-in user, or null (also when auth is unreachable). */
export async function getCurrentUser(): Promise<User | null> {
  const result = await loadCurrentUser();
  return result.ok ? (result.data?.currentUser ?? null) : null;
}

/**
 * Copies the API's Set-Cookie headers onto our response, so a session the API starts from a server action
 * (signing in or up) reaches the browser, its value spelled so that it survives Next (`sessionValueForBrowser`).
 * Next only allows that in server actions and route handlers; while rendering a page the cookies store is
 * read-only, and there is nothing to pass back from the GETs pages make anyway.
 */
async function passBackCookies(response: Response): Promise<void> {
  const setCookies = response.headers.getSetCookie();
  if (setCookies.length === 0) return;
  const store = await cookies();
  for (const header of setCookies) {
    const parsed = parseSetCookie(header);
    if (!parsed) continue;
    if (parsed.name === SESSION_COOKIE) parsed.value = sessionValueForBrowser(parsed.value);
    try {
      store.set(parsed.name, parsed.value, parsed.options);
    } catch {
      return; // rendering a server component: cookies are read-only here
    }
  }
}

interface ParsedCookie {
  name: string;
  value: string;
  options: {
    path?: string;
    domain?: string;
    expires?: Date;
    maxAge?: number;
    httpOnly?: boolean;
    secure?: boolean;
    sameSite?: 'lax' | 'strict' | 'none';
  };
}

function parseSetCookie(header: string): ParsedCookie | undefined {
  const [pair, ...attributes] = header.split(';');
  const separator = pair?.indexOf('=') ?? -1;
  if (!pair || separator <= 0) return undefined;
  const cookie: ParsedCookie = {
    name: pair.slice(0, separator).trim(),
    value: pair.slice(separator + 1).trim(),
    options: {},
  };
  for (const attribute of attributes) {
    const [rawKey = '', ...rest] = attribute.split('=');
    const key = rawKey.trim().toLowerCase();
    const value = rest.join('=').trim();
    if (key === 'path') cookie.options.path = value;
    else if (key === 'domain') cookie.options.domain = value;
    else if (key === 'expires') cookie.options.expires = new Date(value);
    else if (key === 'max-age') cookie.options.maxAge = Number(value);
    else if (key === 'httponly') cookie.options.httpOnly = true;
    else if (key === 'secure') cookie.options.secure = true;
    else if (key === 'samesite') {
      const sameSite = value.toLowerCase();
      if (sameSite === 'lax' || sameSite === 'strict' || sameSite === 'none') cookie.options.sameSite = sameSite;
    }
  }
  return cookie;
}

/** The cursor of the next page from an RFC 8288 `Link: </api/tickets?limit=N&cursor=…>; rel="next"` header. */
export function nextCursor(link: string | null): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const match = /<([^>]*)>\s*;\s*rel="?next"?/i.exec(part);
    if (!match?.[1]) continue;
    const cursor = new URL(match[1], 'http://link.invalid').searchParams.get('cursor');
    if (cursor) return cursor;
  }
  return undefined;
}
