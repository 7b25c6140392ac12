import express, { type Express, type Router } from 'express';
import cookieSession from 'cookie-session';
import type { Logger } from 'pino';
import { currentUser, errorHandler, notFoundHandler, rejectUnsafeText, type SessionVersionCheck } from '../middleware';
import { collectProcessMetrics, measureRequests, serveMetrics, traceRequests } from '../observability';
import { admissionControl, PROBE_PATHS } from './admission';
import { noStoreByDefault } from './cache-control';
import { logRequests } from './request-log';
import { answerEarlyBeforeExpress, type EarlyAnswer } from './early-answers';
import { readJsonBodies } from './small-json';
import { currentUserOfCookie, SESSION_COOKIE } from './session-cookie';
import { protocolFromTrustedHops } from './forwarded-protocol';
import type { ReadinessProbe } from './readiness';

export interface ServiceAppOptions {
  logger: Logger;
  /** The session: omitted by a service with no signed-in routes (expiration), which then reads no cookie. */
  session?: {
    jwtKey: string;
    /** Secure cookies (HTTPS only); on in production. */
    cookieSecure: boolean;
    /** Lifetime of the session cookie; the JWT inside expires at the same time. */
    maxAgeMs: number;
    /** The users' current session versions: a token below its user's is refused (revoked sessions). */
    versions: SessionVersionCheck;
    /**
     * The service signs visitors in and out (auth): its routes set `req.session`, which cookie-session writes
     * back as the cookie. Every other service only reads the cookie, by hand ({@link currentUserOfCookie}).
     */
    signsIn?: boolean;
  };
  /** What `/readyz` checks: each named dependency reachable (see {@link probeReadiness}). */
  readiness: ReadinessProbe;
  /** The service's routes, mounted after the shared middleware and before the error handler. */
  routes: Router;
  /**
   * Proxies in front of the service whose X-Forwarded-For and X-Forwarded-Proto entries are believed: 1, the
   * edge, or for the web app's calls on a visitor's session (which go to auth directly, AUTH_API_URL) the web
   * app, passing on the edge's entries of both.
   */
  trustProxyHops?: number;
  /** Largest JSON body accepted. */
  bodyLimit?: string;
  /** Bounds the requests worked on at once and sheds the excess with 503 (see {@link admissionControl}). */
  admission?: { maxInFlight: number; queueTimeoutMs: number };
  /** Answers from the process's memory for a signed-in caller, before Express and every middleware. */
  earlyAnswers?: readonly EarlyAnswer[];
}

/**
 * The Express app every service shares: request ids and one log line per request, `Cache-Control: no-store`
 * unless a route allows shared caching ({@link allowSharedCaching}), JSON bodies with a size limit, the cookie-session cookie holding the JWT, `currentUser`, `/healthz`, `/readyz` and
 * `/metrics`, a duration histogram and (with tracing on) a span per request, the service's routes, then the envelope for unknown paths and errors. It never listens.
 */
export function createServiceApp(options: ServiceAppOptions): Express {
  const app = express();
  // Behind exactly one proxy (the local gateway or the cluster's edge; for the web app's calls on a session,
  // the web app): trust the hop it adds to X-Forwarded-*, so Secure cookies and client IPs work, but not hops
  // a client could forge.
  const trustedHops = options.trustProxyHops ?? 1;
  app.set('trust proxy', trustedHops);
  app.disable('x-powered-by');
  // The scheme for Secure cookies from the trusted hop's own X-Forwarded-Proto entry, never a client's.
  app.use(protocolFromTrustedHops(trustedHops));
  collectProcessMetrics();
  app.use(measureRequests());
  const tracing = traceRequests();
  if (tracing) app.use(tracing);

  // One short line per request: who asked what and how it went; never headers (cookies live there). Probes
  // and scrapes come every few seconds; logging them drowns everything else.
  app.use(logRequests(options.logger, PROBE_PATHS));
  app.use(noStoreByDefault);
  const readJsonBody = express.json({
    limit: options.bodyLimit ?? '100kb',
    // Kept for routes that verify a signature over the exact bytes (Stripe webhooks).
    verify: (req, _res, buffer) => {
      (req as express.Request).rawBody = buffer;
    },
  });
  if (options.admission) app.use(admissionControl({ ...options.admission, logger: options.logger }));
  // A small JSON body (almost every one) is read by hand; the shared parser takes the rest.
  app.use(readJsonBodies(readJsonBody));
  app.use(rejectUnsafeText);
  if (options.session && !options.session.signsIn) {
    // Read by hand: cookie-session's cookie jar, getters and write-back hook were a tenth of a routed request.
    app.use(currentUserOfCookie(options.session));
  } else if (options.session) {
    app.use(
      cookieSession({
        name: SESSION_COOKIE,
        // The JWT inside is what is signed; the cookie itself carries nothing else.
        signed: false,
        httpOnly: true,
        sameSite: 'lax',
        secure: options.session.cookieSecure,
        maxAge: options.session.maxAgeMs,
      }),
    );
    app.use(currentUser(options.session.jwtKey, options.session.versions));
  }

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    // A check that throws is a dependency that is not ready, not a server error.
    const { checks, details } = await options.readiness().catch(() => ({
      checks: { readiness: false } as Record<string, boolean>,
      details: undefined,
    }));
    const ready = Object.values(checks).every(Boolean);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks, ...(details && { details }) });
  });
  // On the service's own port for Prometheus; the edge (gateway, ingress) routes only /api/… and the web app.
  app.get('/metrics', serveMetrics());

  app.use(options.routes);
  app.use(notFoundHandler);
  app.use(errorHandler);
  if (options.earlyAnswers && options.earlyAnswers.length > 0 && options.session) {
    // In front of Express, so before admission too: an answer from memory takes no slot and never waits
    // behind the requests that do work, so a crowd of losing buyers is answered at once even where no proxy
    // queues for the service (ingress-nginx). A body it read is not read again (the parser skips it).
    answerEarlyBeforeExpress(app, options.earlyAnswers, { session: options.session, logger: options.logger });
  }
  return app;
}
