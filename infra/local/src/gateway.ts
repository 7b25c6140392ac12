import * as http from 'node:http';
import {
  asksForFreshAnswer,
  DEFAULT_MICRO_CACHE_LIMITS,
  MicroCache,
  type MicroCacheLimits,
  type Wake,
} from './micro-cache';
import { compileIdempotentWrite, EVENT_STREAM_PATTERN } from './routing';

/**
 * Requests whose path is `prefix` or lies below it go to `target`: an `http://host:port` origin, or the
 * origins of a service's replicas, which the gateway balances across (see {@link createGateway}).
 */
export interface GatewayRoute {
  prefix: string;
  target: string | readonly string[];
}

interface CompiledRoute {
  prefix: string;
  pool: ReplicaPool;
}

// Hop-by-hop headers describe one connection, not the message, so a proxy must not forward them.
// Transfer-Encoding is kept on purpose: Node re-frames the body as chunked when it sees it, which is what
// keeps a chunked body without Content-Length intact (for DELETE and friends Node would not add it).
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'upgrade',
]);

const NOT_FOUND = JSON.stringify({ errors: [{ message: 'Not found' }] });
const UNAVAILABLE = JSON.stringify({ errors: [{ message: 'Service unavailable' }] });

/** Requests in flight to one service at a time: its own bound on work in flight (HTTP_MAX_IN_FLIGHT). */
export const UPSTREAM_MAX_SOCKETS = 256;

/** The longest an idle upstream socket is kept when the upstream announces no shorter keep-alive. */
const UPSTREAM_IDLE_TIMEOUT_MS = 60_000;

/**
 * The path of an event stream (server-sent events): an API path whose last segment is `stream`
 * (`/api/tickets/:id/stream`, `/api/tickets/stream`, `/api/orders/:id/stream`, and any later `…/stream` route of a
 * service; services.ts lists today's, which the cluster's stream routes must cover). A stream is known by its
 * path, never by `Accept`: EventSource asks with `Accept: text/event-stream`, but curl and scripts ask with
 * `Accept: *\/*` (curl's default), and 256 of those in the shared pool took every socket to their service.
 */
const EVENT_STREAM_PATH = new RegExp(EVENT_STREAM_PATTERN);

/**
 * A request to an event stream's path (see {@link EVENT_STREAM_PATH}), whatever its method and `Accept`. Such a
 * request is never answered from the cache nor made to wait for another's answer (it would wait for an answer
 * that never ends), and its upstream socket is its own for as long as it stays open: in the pool, 256 pages
 * left open would take every socket to their service, and API requests would queue behind them.
 */
export function isEventStreamPath(pathname: string): boolean {
  return EVENT_STREAM_PATH.test(pathname);
}

/** How the gateway is set up besides its routes. */
export interface GatewayOptions {
  /** Limits of the shared micro-cache (micro-cache.ts); `false` turns it off. Default: on, with the defaults. */
  cache?: Partial<MicroCacheLimits> | false;
  /**
   * Follows each upstream's readiness: `GET <origin><path>` every `intervalMs`; an upstream whose answer is not
   * a 200 (or that does not answer) is out of the balancing until it answers 200 again. Default: off (an
   * upstream taken out by a connection failure is then tried again after {@link CONNECTION_FAILURE_PENALTY_MS}).
   */
  readiness?: { path?: string; intervalMs?: number };
  /**
   * Writes a service marks idempotent, as `METHOD /path` templates (`:id` for one segment): besides GET and HEAD,
   * the only requests sent to a second replica when the first failed after the request may have reached it
   * (services.ts's `idempotentWrites`).
   */
  idempotentWrites?: readonly string[];
  /** Names for upstream origins in log lines (`orders#2`); default the origin itself. */
  upstreamNames?: Readonly<Record<string, string>>;
}

/** How often an upstream's readiness is asked by default. */
export const DEFAULT_READINESS_INTERVAL_MS = 1_000;

/**
 * Without readiness polling, how long an upstream that refused or reset a connection stays out of the
 * balancing before it is tried again.
 */
export const CONNECTION_FAILURE_PENALTY_MS = 1_000;

/** The largest request body kept to be sent again to another replica; a larger one is never retried. */
export const RETRY_BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * One replica of a service as the gateway sees it: where it is, how many requests it has in flight, and
 * whether it is in the balancing (no connection failure since its last good /readyz, and /readyz answering).
 */
class Upstream {
  readonly url: URL;
  inFlight = 0;
  private failedAt: number | undefined;
  private ready = true;
  /** Whether its /readyz has answered 200 once: until then a failing poll is a start, not news for the log. */
  private seenReady = false;
  private timer: NodeJS.Timeout | undefined;
  private polling = false;

  constructor(
    readonly origin: string,
    readonly name: string,
    private readonly log: (line: string) => void,
    private readonly readiness: { path: string; intervalMs: number } | undefined,
  ) {
    this.url = new URL(origin);
  }

  get hostname(): string {
    return this.url.hostname.replace(/^\[(.*)\]$/, '$1');
  }

  get port(): string | number {
    return this.url.port || 80;
  }

  /** Whether new requests should go here: no recent connection failure, and ready when readiness is followed. */
  isIn(now = Date.now()): boolean {
    if (this.readiness !== undefined) return this.ready && this.failedAt === undefined;
    return this.failedAt === undefined || now - this.failedAt >= CONNECTION_FAILURE_PENALTY_MS;
  }

  /** Refused or reset before any answer: out until /readyz answers 200 (or, without polling, for a second). */
  markConnectionFailed(reason: string): void {
    const wasIn = this.isIn();
    this.failedAt = Date.now();
    if (wasIn) this.log(`gateway    ${this.name} out of the balancing: ${reason}`);
  }

  /** It answered a request: whatever failed before is over. */
  markAnswered(): void {
    if (this.failedAt === undefined) return;
    this.failedAt = undefined;
    if (this.readiness === undefined || this.ready) this.log(`gateway    ${this.name} back in: it answers again`);
  }

  startPolling(): void {
    if (this.readiness === undefined || this.timer !== undefined) return;
    const { path, intervalMs } = this.readiness;
    this.timer = setInterval(() => {
      if (this.polling) return;
      this.polling = true;
      void getStatus(`${this.origin}${path}`, intervalMs * 2).then((status) => {
        this.polling = false;
        if (this.timer === undefined) return;
        this.setReady(status === 200, status === undefined ? 'no answer' : `answered ${status}`);
      });
    }, intervalMs);
    this.timer.unref();
  }

  stopPolling(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private setReady(ready: boolean, how: string): void {
    const wasIn = this.isIn();
    this.ready = ready;
    // A good /readyz is the sign a replica that refused connections is back (a restarted process).
    if (ready) this.failedAt = undefined;
    const path = this.readiness?.path ?? '/readyz';
    const firstTime = ready && !this.seenReady;
    if (ready) this.seenReady = true;
    if (!this.seenReady || firstTime) return;
    if (wasIn && !this.isIn()) this.log(`gateway    ${this.name} out of the balancing: ${path} ${how}`);
    if (!wasIn && this.isIn()) this.log(`gateway    ${this.name} back in: ${path} answered 200`);
  }
}

/**
 * A route's replicas and the choice among them: least requests in flight, ties taken in turn (round robin).
 * Least in flight rather than plain round robin because requests differ widely in cost (a checkout that holds
 * a row lock and calls Stripe, a cached read) and because a replica that stalls (paused, swapping, stuck on
 * its database) piles up requests in flight: it then gets none of the new ones until it drains, where round
 * robin would keep handing it every other request. Only replicas in the balancing are chosen; when none is,
 * every replica is tried anyway (a service whose every /readyz fails still answers its own 503s, and a 502
 * from the gateway would say less).
 */
class ReplicaPool {
  private cursor = 0;

  constructor(readonly upstreams: readonly Upstream[]) {}

  get description(): string {
    return this.upstreams.map((upstream) => upstream.origin).join(', ');
  }

  /** The replica for a request; `excluded` (the one that just failed) is never chosen. */
  pick(excluded?: Upstream): Upstream | undefined {
    const candidates = this.upstreams.filter((upstream) => upstream !== excluded);
    if (candidates.length === 0) return undefined;
    const now = Date.now();
    const inBalancing = candidates.filter((upstream) => upstream.isIn(now));
    const choices = inBalancing.length > 0 ? inBalancing : candidates;
    const count = this.upstreams.length;
    let best: Upstream | undefined;
    let bestIndex = 0;
    for (let step = 0; step < count; step += 1) {
      const index = (this.cursor + step) % count;
      const upstream = this.upstreams[index] as Upstream;
      if (!choices.includes(upstream)) continue;
      if (best === undefined || upstream.inFlight < best.inFlight) {
        best = upstream;
        bestIndex = index;
      }
    }
    this.cursor = (bestIndex + 1) % count;
    return best;
  }
}

/** Whether a failed request may be sent to another replica: what was sent, and what the request is. */
interface RetryRules {
  /** A write the service marks idempotent (`POST /api/checkins`), by method and path. */
  isIdempotentWrite(method: string, pathname: string): boolean;
}

function compileRetryRules(templates: readonly string[]): RetryRules {
  const compiled = templates.map(compileIdempotentWrite).map((write) => ({
    method: write.method,
    path: new RegExp(write.pathPattern),
  }));
  return {
    isIdempotentWrite: (method, pathname) =>
      compiled.some((rule) => rule.method === method && rule.path.test(pathname)),
  };
}

/** What a proxied read does with the cache: store a shareable answer, and end the flight others wait for. */
interface CacheRecording {
  cache: MicroCache;
  key: string;
  /** Ends the flight, handing the waiters the shareable answer, if any; absent when this request leads none. */
  land?: Wake;
}

/**
 * The local edge: the same path rules as the Kubernetes ingress. A request goes to the route with the longest
 * matching prefix (`/api/users` matches `/api/users` and `/api/users/…`, not `/api/usersx`); method, path,
 * query, headers and both bodies pass through as streams, `Host` is kept so cookies and redirects stay right,
 * and every `Set-Cookie` comes back untouched. An unreachable upstream is a 502, an unknown path a 404, both
 * with the usual error envelope. `GET /healthz` is the gateway's own; `GET /` lists the routes while no route
 * covers `/` (no client yet).
 *
 * It is also a small shared cache, like ingress-nginx's `proxy_cache` in the cluster: a GET's 200 that says
 * `Cache-Control: public, s-maxage=N` is kept in memory for N seconds (from when it was asked for) and served
 * to every reader of the same method, Host, URL and `Vary`'d request headers without touching the service,
 * with an `Age` header; concurrent misses of one key wait for a single upstream request (nginx's
 * `proxy_cache_lock`). `private`, `no-store`, a `Set-Cookie` or no `s-maxage` at all pass through untouched.
 *
 * The returned server is not listening yet.
 */
export function createGateway(
  routes: readonly GatewayRoute[],
  log: (line: string) => void,
  options: GatewayOptions = {},
): http.Server {
  const readiness =
    options.readiness === undefined
      ? undefined
      : {
          path: options.readiness.path ?? '/readyz',
          intervalMs: options.readiness.intervalMs ?? DEFAULT_READINESS_INTERVAL_MS,
        };
  // One Upstream per origin, shared by every route to it (tickets answers two prefixes): one count in flight,
  // one readiness.
  const upstreams = new Map<string, Upstream>();
  const upstreamOf = (target: string): Upstream => {
    const origin = new URL(target).origin;
    let upstream = upstreams.get(origin);
    if (upstream === undefined) {
      upstream = new Upstream(origin, options.upstreamNames?.[origin] ?? origin, log, readiness);
      upstreams.set(origin, upstream);
    }
    return upstream;
  };
  const compiled: CompiledRoute[] = routes
    .map((route) => ({
      prefix: normalisePrefix(route.prefix),
      pool: new ReplicaPool((typeof route.target === 'string' ? [route.target] : route.target).map(upstreamOf)),
    }))
    .sort((a, b) => b.prefix.length - a.prefix.length);
  const retryRules = compileRetryRules(options.idempotentWrites ?? []);
  // Keep-alive to the services, but never reuse a socket the service is about to close: with a `timeout`,
  // Node's agent drops an idle socket a second before the upstream's `Keep-Alive: timeout=N` hint (the
  // services and Next.js say 5 s). Without it, idle sockets live forever, and a request sent on one just as
  // the service closes it fails with ECONNRESET: a 502 for a buyer, more often the busier the gateway is.
  //
  // At most UPSTREAM_MAX_SOCKETS requests in flight to each service; the rest wait here, in arrival order,
  // where waiting costs nothing. Unbounded, a crowd of 1,000 opened 1,000 sockets to one service and, past the
  // agent's 256 kept idle, closed and reopened them request after request.
  const agent = new http.Agent({
    keepAlive: true,
    timeout: UPSTREAM_IDLE_TIMEOUT_MS,
    maxSockets: UPSTREAM_MAX_SOCKETS,
    maxFreeSockets: UPSTREAM_MAX_SOCKETS,
    scheduling: 'fifo',
  });
  // Event streams: a socket each, for as long as the stream lasts, outside the bound above; no idle timeout
  // (the services send a heartbeat comment every 15 s, and a stream that says nothing is still a stream).
  const streamAgent = new http.Agent({ keepAlive: false });
  const cache =
    options.cache === false ? undefined : new MicroCache({ ...DEFAULT_MICRO_CACHE_LIMITS, ...options.cache });

  const server = http.createServer((req, res) => {
    // The hit path comes first and does as little as it can: one lookup keyed by the request target as sent
    // (the route it picks is a function of it), no URL parsing, no upstream.
    if (cache !== undefined && isCacheableRead(req)) {
      const now = Date.now();
      const cached = cache.lookup(req, now);
      if (cached !== undefined) {
        cache.serve(cached, req, res, now);
        return;
      }
    }
    // Parsing resolves `..` and `.` segments, so the path that picks the route is the path that is sent.
    const { pathname, search } = new URL(req.url ?? '/', 'http://gateway.invalid');
    const isRead = req.method === 'GET' || req.method === 'HEAD';

    if (isRead && pathname === '/healthz') {
      sendText(res, 200, 'application/json', JSON.stringify({ status: 'ok' }));
      return;
    }
    const route = compiled.find((candidate) => matches(candidate.prefix, pathname));
    if (route) {
      const target = { pool: route.pool, pathname, path: pathname + search, retryRules };
      if (isEventStreamPath(pathname)) {
        proxy(req, res, target, streamAgent, log);
      } else if (cache !== undefined && req.method === 'GET' && req.headers.range === undefined) {
        readThrough(cache, req, res, (recording) => proxy(req, res, target, agent, log, recording));
      } else {
        proxy(req, res, target, agent, log);
      }
      return;
    }
    if (isRead && pathname === '/') {
      sendText(res, 200, 'text/html; charset=utf-8', renderHome(compiled));
      return;
    }
    sendText(res, 404, 'application/json', NOT_FOUND);
  });
  // Readiness is followed while the gateway listens, so an idle gateway in a test costs nothing.
  server.on('listening', () => {
    for (const upstream of upstreams.values()) upstream.startPolling();
  });
  server.on('close', () => {
    for (const upstream of upstreams.values()) upstream.stopPolling();
    agent.destroy();
    streamAgent.destroy();
  });
  return server;
}

/**
 * A GET or HEAD that may be answered from the cache: no `Range`, no `Cache-Control: no-cache`. A stream's path
 * is looked up too (the hit path parses no URL), but never found: streams never go through {@link readThrough},
 * the only way into the cache.
 */
function isCacheableRead(req: http.IncomingMessage): boolean {
  return (req.method === 'GET' || req.method === 'HEAD') && req.headers.range === undefined && !asksForFreshAnswer(req);
}

/**
 * A GET the cache could not answer. The first request for a key leads: it goes upstream and keeps a
 * shareable answer. Requests for the same key meanwhile wait for it and get that answer (a variant of a
 * `Vary` it does not cover looks again); when nothing shareable came, they all go upstream at once. A key
 * whose answers are not shareable, and a request asking for a fresh answer, go straight upstream.
 */
function readThrough(
  cache: MicroCache,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  forward: (recording?: CacheRecording) => void,
): void {
  const now = Date.now();
  if (isCacheableRead(req)) {
    const cached = cache.lookup(req, now);
    if (cached !== undefined) {
      cache.serve(cached, req, res, now);
      return;
    }
  }
  const key = MicroCache.keyOf(req);
  if (asksForFreshAnswer(req) || cache.isPass(key, now)) {
    forward({ cache, key });
    return;
  }
  if (!cache.isInFlight(key)) {
    forward({ cache, key, land: cache.lead(key) });
    return;
  }
  // The request in flight is taking too long: go upstream alone, without storing (nginx does the same).
  const timer = setTimeout(() => {
    leave();
    res.off('close', onClientGone);
    forward();
  }, cache.limits.lockTimeoutMs);
  const onClientGone = () => {
    leave();
    clearTimeout(timer);
  };
  const leave = cache.join(key, (answer) => {
    clearTimeout(timer);
    res.off('close', onClientGone);
    if (answer === undefined) {
      // Nothing shareable came (an error, a private answer): every waiter goes upstream now, side by side.
      forward({ cache, key });
    } else if (MicroCache.fits(answer, req)) {
      cache.serve(answer, req, res, Date.now());
    } else {
      // A variant of a `Vary` the answer does not cover: look again, and lead or wait for that variant.
      readThrough(cache, req, res, forward);
    }
  });
  res.on('close', onClientGone);
}

function normalisePrefix(prefix: string): string {
  const trimmed = prefix.replace(/\/+$/, '');
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

/** `/` (normalised to '') matches everything; any other prefix matches itself and what lies below it. */
function matches(prefix: string, pathname: string): boolean {
  return prefix === '/' || prefix === '' || pathname === prefix || pathname.startsWith(`${prefix}/`);
}

/** Where a request goes: the route's replicas, the path sent, and the rules for sending it again. */
interface ProxyTarget {
  pool: ReplicaPool;
  pathname: string;
  path: string;
  retryRules: RetryRules;
}

/**
 * Sends the request to one replica of the route and streams the answer back. When the replica fails before
 * any byte of an answer, it is taken out of the balancing and the request goes once to another replica if
 * that cannot do a write twice: always when the connection was refused (nothing was sent), otherwise only for
 * GET, HEAD and the writes the service marks idempotent (a POST that reached a replica which then died may
 * have taken effect). Once an answer has begun (an event stream's first byte included), nothing is retried:
 * the client sees the answer cut.
 */
function proxy(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  target: ProxyTarget,
  agent: http.Agent,
  log: (line: string) => void,
  recording?: CacheRecording,
): void {
  const requestTime = Date.now();
  const method = req.method ?? 'GET';
  const body = new ReplayableBody(req);
  let current: http.ClientRequest | undefined;
  /** The client left before its answer and we cut the upstream request: its reset is ours, not the replica's. */
  let clientGone = false;

  const send = (upstreamTarget: Upstream, attempt: number): void => {
    upstreamTarget.inFlight += 1;
    let counted = true;
    const release = (): void => {
      if (!counted) return;
      counted = false;
      upstreamTarget.inFlight -= 1;
    };
    let answered = false;
    let handedOn = false;
    const upstream = http.request({
      agent,
      hostname: upstreamTarget.hostname,
      port: upstreamTarget.port,
      method,
      path: target.path,
      headers: forwardedHeaders(req, recording !== undefined),
    });
    current = upstream;
    upstream.on('close', release);
    // Any end but a complete shareable answer (a failed request, a client gone) lands with nothing to share;
    // an attempt handed on to another replica leaves that to the next one.
    const land = recording?.land;
    if (land) upstream.on('close', () => handedOn || land(undefined));

    upstream.on('response', (upstreamRes) => {
      answered = true;
      upstreamTarget.markAnswered();
      upstreamRes.on('close', release);
      if (recording) record(recording, req, upstreamRes, requestTime);
      // Raw headers keep every Set-Cookie as its own header, byte for byte, in the upstream's order.
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, withoutHopByHop(upstreamRes.rawHeaders));
      if (/^text\/event-stream/i.test(upstreamRes.headers['content-type'] ?? '')) {
        // Each event goes on as it comes: headers now, every chunk without waiting to fill a packet.
        res.socket?.setNoDelay(true);
        res.flushHeaders();
      }
      upstreamRes.pipe(res);
      upstreamRes.on('error', () => res.destroy());
    });

    upstream.on('error', (error: NodeJS.ErrnoException) => {
      // Nobody to answer, and a healthy replica must not leave the balancing for a socket we destroyed.
      if (clientGone) return;
      if (res.headersSent) {
        // Too late for a clean 502: cut the response so the client sees it incomplete rather than truncated.
        res.destroy();
        return;
      }
      const refused = error.code === 'ECONNREFUSED';
      const connectionFailed = !answered && (refused || error.code === 'ECONNRESET' || error.code === 'EPIPE');
      if (connectionFailed) upstreamTarget.markConnectionFailed(refused ? 'connection refused' : 'connection reset');
      const mayRetry =
        connectionFailed &&
        attempt === 1 &&
        !res.destroyed &&
        body.replayable &&
        (refused ||
          method === 'GET' ||
          method === 'HEAD' ||
          target.retryRules.isIdempotentWrite(method, target.pathname));
      const next = mayRetry ? target.pool.pick(upstreamTarget) : undefined;
      if (next !== undefined) {
        handedOn = true;
        req.unpipe(upstream);
        log(
          `gateway    ${method} ${target.path} → ${upstreamTarget.name} failed (${error.message}): trying ${next.name}`,
        );
        send(next, attempt + 1);
        return;
      }
      log(`gateway    ${method} ${target.path} → ${upstreamTarget.name} failed: ${error.message}`);
      sendText(res, 502, 'application/json', UNAVAILABLE);
    });

    body.sendTo(upstream, attempt > 1);
  };

  const first = target.pool.pick();
  if (first === undefined) {
    sendText(res, 502, 'application/json', UNAVAILABLE);
    return;
  }
  // A client that goes away must not leave the upstream request hanging.
  res.on('close', () => {
    if (res.writableFinished) return;
    clientGone = true;
    current?.destroy();
  });
  req.on('error', () => current?.destroy());
  send(first, 1);
}

/**
 * A request body as it streams to the first replica, kept (up to {@link RETRY_BODY_LIMIT_BYTES}) so that it
 * can be sent again to another one. Backpressure is the pipe's, as before; the copy only listens.
 */
class ReplayableBody {
  private chunks: Buffer[] = [];
  private size = 0;
  replayable = true;

  constructor(private readonly req: http.IncomingMessage) {
    req.on('data', (chunk: Buffer) => {
      if (!this.replayable) return;
      this.size += chunk.length;
      if (this.size > RETRY_BODY_LIMIT_BYTES) {
        this.replayable = false;
        this.chunks = [];
        return;
      }
      this.chunks.push(chunk);
    });
  }

  sendTo(upstream: http.ClientRequest, again: boolean): void {
    if (again) {
      for (const chunk of this.chunks) upstream.write(chunk);
      if (this.req.readableEnded) {
        upstream.end();
        return;
      }
    }
    this.req.pipe(upstream);
  }
}

/**
 * Collects a shareable answer as it streams through to the client, keeps it once complete and hands it to
 * the requests that waited for it; an answer that must not be shared marks the key, so its next readers do
 * not wait for each other in vain.
 */
function record(
  recording: CacheRecording,
  req: http.IncomingMessage,
  upstreamRes: http.IncomingMessage,
  requestTime: number,
): void {
  const { cache, key } = recording;
  // A 200 that cannot be kept (not shareable, too large) marks the key: its next readers go straight upstream
  // instead of waiting for each other in vain. An error marks nothing: the next answer may well be shareable.
  const cannotKeep = () => {
    if (upstreamRes.statusCode === 200) cache.markPass(key, Date.now());
  };
  const { maxEntryBytes } = cache.limits;
  if (
    MicroCache.shareableLifetime(req, upstreamRes) === undefined ||
    Number(upstreamRes.headers['content-length'] ?? 0) > maxEntryBytes
  ) {
    cannotKeep();
    // Known from the headers: those waiting go upstream now rather than when this body ends, which for an
    // endless answer on a path not named as a stream would be never.
    recording.land?.(undefined);
    return;
  }
  const chunks: Buffer[] = [];
  let length = 0;
  const collect = (chunk: Buffer) => {
    length += chunk.length;
    if (length > maxEntryBytes) {
      upstreamRes.off('data', collect);
      chunks.length = 0;
      return;
    }
    chunks.push(chunk);
  };
  upstreamRes.on('data', collect);
  upstreamRes.on('end', () => {
    const answer =
      length <= maxEntryBytes ? cache.prepare(req, upstreamRes, Buffer.concat(chunks, length), requestTime) : undefined;
    if (answer === undefined) cannotKeep();
    // A slow answer may be stale already: not kept, but still handed to those who waited for it.
    else cache.keep(answer, Date.now());
    recording.land?.(answer);
  });
}

/** The request as the service gets it; a read the cache may keep is asked for in full (no conditionals). */
function forwardedHeaders(req: http.IncomingMessage, forTheCache = false): http.OutgoingHttpHeaders {
  const dropped = connectionTokens(req.headers.connection);
  const headers: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name) && !dropped.has(name)) headers[name] = value;
  }
  if (forTheCache) {
    // A 304 for one client's validator could not be stored for everyone else.
    delete headers['if-none-match'];
    delete headers['if-modified-since'];
  }
  // The gateway is the edge, so it states these facts instead of trusting what the client claims (as
  // ingress-nginx does by default). Host itself is kept as it came.
  headers['x-forwarded-for'] = req.socket.remoteAddress ?? '';
  headers['x-forwarded-proto'] = 'http';
  headers['x-forwarded-host'] = req.headers.host ?? '';
  return headers;
}

function withoutHopByHop(rawHeaders: readonly string[]): string[] {
  let connection: string | undefined;
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    if (rawHeaders[index]?.toLowerCase() === 'connection') connection = rawHeaders[index + 1];
  }
  const dropped = connectionTokens(connection);
  const kept: string[] = [];
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    const name = rawHeaders[index] ?? '';
    const lower = name.toLowerCase();
    if (!HOP_BY_HOP.has(lower) && !dropped.has(lower)) kept.push(name, rawHeaders[index + 1] ?? '');
  }
  return kept;
}

/** Headers named in `Connection: close, x-foo` are hop-by-hop too. */
function connectionTokens(value: string | undefined): Set<string> {
  return new Set(
    (value ?? '')
      .split(',')
      .map((token) => token.trim().toLowerCase())
      .filter((token) => token !== ''),
  );
}

function sendText(res: http.ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function renderHome(routes: readonly CompiledRoute[]): string {
  const items = routes
    .map((route) => `<li><code>${escapeHtml(route.prefix)}</code> → ${escapeHtml(route.pool.description)}</li>`)
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Ticketing</title></head>
<body>
<h1>Ticketing API is up</h1>
<p>There is no web client yet. The gateway routes:</p>
<ul>
${items || '<li>nothing yet</li>'}
</ul>
</body>
</html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** The status of a GET, or undefined when nothing answered within `timeoutMs`. */
export function getStatus(url: string, timeoutMs: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    // No keep-alive agent: a lingering socket would hold the service's shutdown.
    const request = http.get(url, { agent: false, timeout: timeoutMs }, (response) => {
      response.resume();
      resolve(response.statusCode);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(undefined));
  });
}
