/**
 * How the harness's users talk to the marketplace: over HTTP through the gateway, each with the session
 * cookie auth gave them, as a browser would. Nothing here throws for an answer, however bad: a fault makes
 * the stack answer 502, 503 or nothing at all, and a user meets that by waiting and trying again.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** What one request came to. `status` 0 means no answer at all (connection refused or reset, or a timeout). */
export interface Reply<Body = unknown> {
  method: string;
  path: string;
  status: number;
  /** The parsed JSON body; undefined when empty, not JSON, or no answer. */
  body: Body;
  /** The raw body, or why there was no answer. */
  text: string;
  /** Seconds from a `Retry-After` header, when the answer had one. */
  retryAfterSeconds?: number;
}

/** How long one request may take before the user stops waiting for it (Stripe's SDK waits 80 s itself). */
const REQUEST_TIMEOUT_MS = 30_000;

/** Answers that mean "not now" rather than "no": no answer, too many requests, and every 5xx. */
export function isTransient(reply: Reply): boolean {
  return reply.status === 0 || reply.status === 429 || reply.status >= 500;
}

/** Counts every answer by route and status, for the report: how the stack behaved towards its users. */
export class HttpTally {
  private readonly counts = new Map<string, number>();
  /** Every 502 (the edge had no process to give the request to): when, and on which route. */
  readonly badGateways: { at: number; route: string }[] = [];
  private total = 0;

  record(reply: Reply): void {
    this.total += 1;
    const route = `${reply.method} ${routeOf(reply.path)}`;
    const key = `${reply.status === 0 ? 'no answer' : String(reply.status)} ${route}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    if (reply.status === 502) this.badGateways.push({ at: Date.now(), route });
  }

  get requests(): number {
    return this.total;
  }

  /** `[status route, count]` for every answer that was not a success, most frequent first. */
  failures(): [string, number][] {
    return [...this.counts].filter(([key]) => !/^[23]\d\d /.test(key)).sort((a, b) => b[1] - a[1]);
  }
}

/** `/api/orders/5f0c…` → `/api/orders/:id`; the query string goes. */
function routeOf(path: string): string {
  return (path.split('?')[0] ?? path).replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, ':id');
}

/** One user of the site: their session cookies, sent back with every request, as a browser keeps them. */
export class UserSession {
  private readonly cookies = new Map<string, string>();

  constructor(
    private readonly baseUrl: string,
    private readonly tally: HttpTally,
    readonly email: string,
  ) {}

  async send<Body = unknown>(method: string, path: string, requestBody?: unknown): Promise<Reply<Body>> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (requestBody !== undefined) headers['content-type'] = 'application/json';
    if (this.cookies.size > 0) {
      headers.cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    }
    let reply: Reply<Body>;
    try {
      const response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: requestBody === undefined ? undefined : JSON.stringify(requestBody),
        redirect: 'manual',
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      for (const setCookie of response.headers.getSetCookie()) this.keepCookie(setCookie);
      const text = await response.text();
      const retryAfter = Number(response.headers.get('retry-after'));
      reply = {
        method,
        path,
        status: response.status,
        body: parseJson(text) as Body,
        text,
        retryAfterSeconds: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
      };
    } catch (error) {
      reply = { method, path, status: 0, body: undefined as Body, text: describeFailure(error) };
    }
    this.tally.record(reply);
    return reply;
  }

  private keepCookie(setCookie: string): void {
    const [pair = '', ...attributes] = setCookie.split(';');
    const separator = pair.indexOf('=');
    if (separator <= 0) return;
    const name = pair.slice(0, separator).trim();
    const value = pair.slice(separator + 1).trim();
    const expires = attributes.map((attribute) => attribute.trim()).find((attribute) => /^expires=/i.test(attribute));
    const expired = expires !== undefined && Date.parse(expires.slice('expires='.length)) <= Date.now();
    if (value === '' || expired) this.cookies.delete(name);
    else this.cookies.set(name, value);
  }
}

/** A user stopped trying: every answer during their patience was "not now" (or the run ended). */
export class GaveUp extends Error {
  override readonly name = 'GaveUp';

  constructor(
    readonly step: string,
    readonly lastReply: Reply | undefined,
  ) {
    super(`gave up ${step}${lastReply === undefined ? '' : ` (last answer: ${describeReply(lastReply)})`}`);
  }
}

export interface PersistOptions<Body> {
  /** What the user is doing, for the report: `buy`, `pay`. */
  step: string;
  /** How long the user keeps trying. */
  patienceMs: number;
  /** Ends the waiting at once (the run is over). */
  signal: AbortSignal;
  /**
   * Answers, other than the transient ones, that also mean "try again in a moment": a 404 for a ticket
   * that orders has not heard of yet, say.
   */
  retryWhile?: (reply: Reply<Body>) => boolean;
}

/**
 * Sends a request again and again, as a patient user would, while the answer is transient (no answer, 429,
 * 5xx) or `retryWhile` says so, waiting `Retry-After` when given, else a growing pause (0.5 s … 5 s, with
 * jitter so that users do not retry in step). Resolves to the first other answer; rejects with
 * {@link GaveUp} once patience runs out.
 */
export async function persist<Body>(
  send: () => Promise<Reply<Body>>,
  options: PersistOptions<Body>,
): Promise<Reply<Body>> {
  const deadline = Date.now() + options.patienceMs;
  let lastReply: Reply<Body> | undefined;
  for (let attempt = 1; ; attempt += 1) {
    if (options.signal.aborted) throw new GaveUp(`${options.step} (the run ended)`, lastReply);
    lastReply = await send();
    if (!isTransient(lastReply) && !(options.retryWhile?.(lastReply) ?? false)) return lastReply;
    const pauseMs =
      lastReply.retryAfterSeconds !== undefined
        ? Math.min(10_000, lastReply.retryAfterSeconds * 1000)
        : Math.min(5_000, 250 * 2 ** attempt) * (0.5 + Math.random() / 2);
    if (Date.now() + pauseMs > deadline) throw new GaveUp(options.step, lastReply);
    await sleep(pauseMs, undefined, { signal: options.signal }).catch(() => undefined);
  }
}

/** `409 POST /api/orders {"errors":[…]}`, shortened: one line of a report. */
export function describeReply(reply: Reply): string {
  const text = reply.text.replace(/\s+/g, ' ').slice(0, 160);
  return `${reply.status === 0 ? 'no answer' : reply.status} ${reply.method} ${routeOf(reply.path)}${text === '' ? '' : ` ${text}`}`;
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function describeFailure(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`;
  }
  const cause = error instanceof Error ? (error.cause as { code?: string } | undefined) : undefined;
  return cause?.code ?? (error instanceof Error ? error.message : String(error));
}
