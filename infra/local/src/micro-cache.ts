import type * as http from 'node:http';

/**
 * The gateway's shared micro-cache (RFC 9111, as a shared cache): it keeps a GET's 200 only when the service
 * said so with `Cache-Control: public, s-maxage=N`, for N seconds counted from when the request left for the
 * service, so what it serves is never more than N seconds behind the service. Never kept: `private`,
 * `no-store`, `no-cache`, a response that sets a cookie, `Vary: *`, a body larger than `maxEntryBytes`.
 *
 * This module is the store and the rules; the gateway (gateway.ts) does the I/O around it.
 */

export interface MicroCacheLimits {
  /** Most responses kept at once (each variant of a `Vary` counts). */
  maxEntries: number;
  /** Most bytes kept at once, bodies and headers. */
  maxBytes: number;
  /** A larger response passes through, not kept. */
  maxEntryBytes: number;
  /**
   * How long a request waits for the upstream request already in flight for its key (nginx's
   * `proxy_cache_lock_timeout`) before it goes upstream on its own, and its answer is not kept.
   */
  lockTimeoutMs: number;
  /**
   * How long a key whose last answer said it must not be shared goes straight upstream, without waiting for
   * another request's answer that could never be shared with it (Varnish's hit-for-pass). Any shareable
   * answer for the key ends it at once.
   */
  passTtlMs: number;
}

export const DEFAULT_MICRO_CACHE_LIMITS: MicroCacheLimits = {
  maxEntries: 10_000,
  maxBytes: 64 * 1024 * 1024,
  maxEntryBytes: 1024 * 1024,
  lockTimeoutMs: 5_000,
  passTtlMs: 10_000,
};

/** A stored 200: everything a hit needs is prepared at store time, so a hit only looks it up and writes it. */
export interface CachedResponse {
  readonly key: string;
  /** Lower-case request header names it varies on (`Vary`), and their values in the request that fetched it. */
  readonly varyNames: readonly string[];
  readonly variant: string;
  readonly body: Buffer;
  readonly etag: string | undefined;
  /** When the request that fetched it left for the upstream (ms): the start of its age. */
  readonly requestTime: number;
  /** Age the upstream gave it (the `Age` header), in seconds. */
  readonly initialAge: number;
  readonly expiresAt: number;
  readonly bytes: number;
  /** The upstream's headers without hop-by-hop fields, `Age` and framing; `Content-Length` is the body's. */
  readonly headers: readonly string[];
  /** `headers` with `Age` for the whole second in `age`: recomputed only when the second changes. */
  hitHeaders: string[];
  age: number;
}

/** Vary'd request headers of one key, and its stored variants. */
interface KeyEntries {
  /** Lower-case request header names the responses vary on; empty when they vary on none. */
  varyNames: readonly string[];
  variants: Map<string, CachedResponse>;
}

/**
 * Told to a request that waited for another's upstream request: the shareable answer it got (kept, or too
 * late to keep: the waiters get it all the same, as Varnish's waiting list does), or undefined (an error, or
 * an answer that must not be shared: every waiter goes upstream at once, side by side, not one after another).
 */
export type Wake = (answer: CachedResponse | undefined) => void;

/** One upstream request many readers of a key wait for (nginx's `proxy_cache_lock`). */
interface Flight {
  waiters: Set<Wake>;
}

/** Seconds a shared cache may keep a response for, or undefined when it must not keep it at all. */
export function sharedMaxAge(cacheControl: string | undefined): number | undefined {
  if (!cacheControl) return undefined;
  let isPublic = false;
  let seconds: number | undefined;
  for (const part of cacheControl.split(',')) {
    const directive = part.trim().toLowerCase();
    if (directive === 'public') {
      isPublic = true;
    } else if (
      directive === 'private' ||
      directive === 'no-store' ||
      directive === 'no-cache' ||
      // The field-qualified forms would allow storing without those fields; storing nothing is simpler.
      directive.startsWith('private=') ||
      directive.startsWith('no-cache=')
    ) {
      return undefined;
    } else if (directive.startsWith('s-maxage=')) {
      const value = directive.slice('s-maxage='.length).replace(/^"(.*)"$/, '$1');
      if (!/^\d+$/.test(value)) return undefined;
      seconds = Number(value);
    }
  }
  return isPublic && seconds !== undefined && seconds > 0 ? seconds : undefined;
}

/**
 * Whether a request asks for a fresh answer rather than a stored one: `Cache-Control: no-cache` (a hard
 * reload, or the web app's server reading the API for a page it is about to cache itself). Its answer still
 * replaces the stored one, so the next readers get it too. `max-age=0`, which a plain reload sends, is not
 * honoured: a crowd pressing reload would otherwise bypass the cache (as nginx and Varnish, by default).
 */
export function asksForFreshAnswer(req: http.IncomingMessage): boolean {
  const cacheControl = req.headers['cache-control'];
  return cacheControl !== undefined && /(?:^|,)\s*no-cache\s*(?:,|$)/i.test(cacheControl);
}

/** The request's header values for `names`, as one string (header values never contain a newline). */
function variantOf(req: http.IncomingMessage, names: readonly string[]): string {
  let variant = names.join(',');
  for (const name of names) {
    const value = req.headers[name];
    variant += `\n${Array.isArray(value) ? value.join(', ') : (value ?? '')}`;
  }
  return variant;
}

/** Lower-case names in a `Vary` header; undefined for `Vary: *` (varies on things no cache can see). */
export function varyNamesOf(vary: string | undefined): string[] | undefined {
  if (!vary) return [];
  const names = vary
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
  if (names.includes('*')) return undefined;
  return [...new Set(names)].sort();
}

/** `If-None-Match` against a stored ETag, compared weakly (RFC 9110 §13.1.2). */
function matchesEtag(ifNoneMatch: string, etag: string): boolean {
  if (ifNoneMatch.trim() === '*') return true;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  const stored = opaque(etag);
  return ifNoneMatch.split(',').some((candidate) => opaque(candidate) === stored);
}

/** Headers a 304 repeats from the stored 200 (RFC 9110 §15.4.5). */
const NOT_MODIFIED_HEADERS = new Set(['cache-control', 'content-location', 'date', 'etag', 'expires', 'vary']);

export class MicroCache {
  private readonly keys = new Map<string, KeyEntries>();
  /** Every stored response in the order it was stored: the oldest is evicted first. */
  private readonly order = new Set<CachedResponse>();
  private readonly flights = new Map<string, Flight>();
  private readonly passUntil = new Map<string, number>();
  private totalBytes = 0;

  constructor(readonly limits: MicroCacheLimits = DEFAULT_MICRO_CACHE_LIMITS) {}

  /** The cache key of a read: method, Host and the request target as sent (which decides the route too). */
  static keyOf(req: http.IncomingMessage): string {
    return `${req.method ?? 'GET'} ${req.headers.host ?? ''} ${req.url ?? '/'}`;
  }

  /** The stored, still fresh response for this request (a HEAD is answered from its GET), if any. */
  lookup(req: http.IncomingMessage, now: number): CachedResponse | undefined {
    const key = req.method === 'HEAD' ? `GET ${req.headers.host ?? ''} ${req.url ?? '/'}` : MicroCache.keyOf(req);
    const entries = this.keys.get(key);
    if (entries === undefined) return undefined;
    const cached = entries.variants.get(entries.varyNames.length === 0 ? '' : variantOf(req, entries.varyNames));
    if (cached === undefined) return undefined;
    if (now >= cached.expiresAt) {
      this.remove(cached);
      return undefined;
    }
    return cached;
  }

  /** Answers from a stored response, with its `Age`; a matching `If-None-Match` gets a 304. */
  serve(cached: CachedResponse, req: http.IncomingMessage, res: http.ServerResponse, now: number): void {
    const age = cached.initialAge + Math.floor((now - cached.requestTime) / 1000);
    if (age !== cached.age) {
      cached.age = age;
      cached.hitHeaders = [...cached.headers, 'Age', String(age)];
    }
    const ifNoneMatch = req.headers['if-none-match'];
    if (ifNoneMatch !== undefined && cached.etag !== undefined && matchesEtag(ifNoneMatch, cached.etag)) {
      const headers: string[] = [];
      for (let index = 0; index + 1 < cached.headers.length; index += 2) {
        const name = cached.headers[index] as string;
        if (NOT_MODIFIED_HEADERS.has(name.toLowerCase())) headers.push(name, cached.headers[index + 1] as string);
      }
      res.writeHead(304, [...headers, 'Age', String(age)]);
      res.end();
      return;
    }
    res.writeHead(200, cached.hitHeaders);
    res.end(req.method === 'HEAD' ? undefined : cached.body);
  }

  /**
   * The answer to store for an upstream's complete 200 to a GET, when its headers allow sharing it and it fits;
   * undefined otherwise. `requestTime` is when the request left for the upstream, so time spent waiting for
   * the answer counts against its freshness: a slow answer may be stale already ({@link keep} then refuses it).
   */
  prepare(
    req: http.IncomingMessage,
    upstream: { statusCode?: number; headers: http.IncomingHttpHeaders; rawHeaders: readonly string[] },
    body: Buffer,
    requestTime: number,
  ): CachedResponse | undefined {
    const lifetime = MicroCache.shareableLifetime(req, upstream);
    const varyNames = varyNamesOf(upstream.headers.vary);
    if (lifetime === undefined || varyNames === undefined || body.length > this.limits.maxEntryBytes) return undefined;
    const initialAge = Math.max(0, Number.parseInt(String(upstream.headers.age ?? '0'), 10) || 0);
    const headers = storedHeaders(upstream.rawHeaders, body.length);
    const bytes = body.length + headers.reduce((sum, part) => sum + part.length, 0);
    if (bytes > this.limits.maxBytes) return undefined;
    return {
      key: MicroCache.keyOf(req),
      varyNames,
      variant: varyNames.length === 0 ? '' : variantOf(req, varyNames),
      body,
      etag: typeof upstream.headers.etag === 'string' ? upstream.headers.etag : undefined,
      requestTime,
      initialAge,
      expiresAt: requestTime + (lifetime - initialAge) * 1000,
      bytes,
      headers,
      hitHeaders: [],
      age: -1,
    };
  }

  /** Whether `cached` answers this request too (the same values of the headers it varies on). */
  static fits(cached: CachedResponse, req: http.IncomingMessage): boolean {
    return cached.varyNames.length === 0 || variantOf(req, cached.varyNames) === cached.variant;
  }

  /** Keeps a prepared answer while it is fresh (the oldest make room); returns whether it did. */
  keep(cached: CachedResponse, now: number): boolean {
    if (now >= cached.expiresAt) return false;
    const { key, varyNames, variant, bytes } = cached;
    let entries = this.keys.get(key);
    if (entries === undefined || entries.varyNames.join(',') !== varyNames.join(',')) {
      // A new key, or the service changed what it varies on: the old variants cannot be found any more.
      if (entries) for (const old of [...entries.variants.values()]) this.remove(old);
      entries = { varyNames, variants: new Map() };
      this.keys.set(key, entries);
    }
    const previous = entries.variants.get(variant);
    if (previous) this.remove(previous);
    this.evictFor(bytes, now);
    // Eviction may have emptied the key and dropped it: put it back.
    if (!this.keys.has(key)) this.keys.set(key, entries);
    entries.variants.set(variant, cached);
    this.order.add(cached);
    this.totalBytes += bytes;
    this.passUntil.delete(key);
    return true;
  }

  /**
   * Seconds a shared cache may keep this upstream answer for this request, or undefined: only a GET's 200
   * that says `public` with an `s-maxage`, and sets no cookie.
   */
  static shareableLifetime(
    req: http.IncomingMessage,
    upstream: { statusCode?: number; headers: http.IncomingHttpHeaders },
  ): number | undefined {
    if (req.method !== 'GET' || upstream.statusCode !== 200) return undefined;
    if (upstream.headers['set-cookie'] !== undefined) return undefined;
    return sharedMaxAge(upstream.headers['cache-control']);
  }

  /** Whether the key's last answer said it must not be shared, recently enough to skip waiting on others. */
  isPass(key: string, now: number): boolean {
    const until = this.passUntil.get(key);
    if (until === undefined) return false;
    if (now < until) return true;
    this.passUntil.delete(key);
    return false;
  }

  /** Remembers that the key's answer must not be shared (a bounded map: the oldest marks go first). */
  markPass(key: string, now: number): void {
    this.passUntil.delete(key);
    this.passUntil.set(key, now + this.limits.passTtlMs);
    if (this.passUntil.size > this.limits.maxEntries) {
      const oldest = this.passUntil.keys().next().value;
      if (oldest !== undefined) this.passUntil.delete(oldest);
    }
  }

  /** Whether an upstream request for `key` is under way, which other readers of the key can wait for. */
  isInFlight(key: string): boolean {
    return this.flights.has(key);
  }

  /**
   * Waits for the upstream request in flight for `key` (see {@link isInFlight}): `wake` runs once it has
   * finished, saying whether its answer was stored. Returns the function that gives up waiting.
   */
  join(key: string, wake: Wake): () => void {
    const flight = this.flights.get(key);
    if (flight === undefined) {
      // Nothing to wait for after all: go upstream at once.
      queueMicrotask(() => wake(undefined));
      return () => undefined;
    }
    flight.waiters.add(wake);
    return () => flight.waiters.delete(wake);
  }

  /** Starts a flight for `key`; the returned function ends it and wakes every waiter with the answer, once. */
  lead(key: string): Wake {
    const flight: Flight = { waiters: new Set() };
    this.flights.set(key, flight);
    let landed = false;
    return (answer) => {
      if (landed) return;
      landed = true;
      if (this.flights.get(key) === flight) this.flights.delete(key);
      for (const wake of flight.waiters) wake(answer);
      flight.waiters.clear();
    };
  }

  private remove(cached: CachedResponse): void {
    if (!this.order.delete(cached)) return;
    this.totalBytes -= cached.bytes;
    const entries = this.keys.get(cached.key);
    if (entries?.variants.get(cached.variant) === cached) {
      entries.variants.delete(cached.variant);
      if (entries.variants.size === 0) this.keys.delete(cached.key);
    }
  }

  /** Makes room for `bytes` more: expired responses first, then the oldest stored. */
  private evictFor(bytes: number, now: number): void {
    for (const cached of this.order) {
      if (now < cached.expiresAt) break;
      this.remove(cached);
    }
    for (const cached of this.order) {
      if (this.order.size < this.limits.maxEntries && this.totalBytes + bytes <= this.limits.maxBytes) break;
      this.remove(cached);
    }
  }
}

// Framing and per-connection fields are the hit's own; Age is recomputed on every hit.
const NOT_STORED = new Set([
  'age',
  'connection',
  'content-length',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function storedHeaders(rawHeaders: readonly string[], bodyLength: number): string[] {
  let connection = '';
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    if (rawHeaders[index]?.toLowerCase() === 'connection') connection += `,${rawHeaders[index + 1] ?? ''}`;
  }
  const named = new Set(connection.split(',').map((token) => token.trim().toLowerCase()));
  const kept: string[] = [];
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    const name = rawHeaders[index] ?? '';
    const lower = name.toLowerCase();
    if (!NOT_STORED.has(lower) && !named.has(lower)) kept.push(name, rawHeaders[index + 1] ?? '');
  }
  kept.push('Content-Length', String(bodyLength));
  return kept;
}
