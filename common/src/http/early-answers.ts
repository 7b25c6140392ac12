import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Express } from 'express';
import type { Logger } from 'pino';
import { findUnsafeText, type UserPayload } from '../middleware';
import { httpRequestDuration } from '../observability/metrics';
import { NO_STORE } from './cache-control';
import { logOnceAnswered, requestIdOf } from './request-log';
import { userOfSessionCookie, type SessionSettings } from './session-cookie';
import { deferFailure, isSmallJson, readSmallJson } from './small-json';

/**
 * A route whose most frequent answer this process can give from memory, without Express and the shared
 * middleware (cookie-session, admission, the route's own chain, its rate limit): the nine buyers in ten who
 * lose a flash sale. Asked before Express sees the request (an answer from memory takes no slot and never
 * queues behind work), with its JSON body read, and only for a signed-in caller; anything it does not answer
 * goes the whole way, where the route answers it.
 */
export interface EarlyAnswer {
  method: string;
  /** The exact path (no parameters). */
  path: string;
  /**
   * The answer (a status and a JSON body) to `body`, the request's JSON, or undefined for the whole way (it
   * may note the request, e.g. to have later callers wait for `res` to close).
   */
  answer(
    body: unknown,
    res: ServerResponse,
    user: UserPayload,
  ): EarlyReply | undefined | Promise<EarlyReply | undefined>;
}

/** What an early answer sends: written as is, without Express's response helpers (no ETag for a refusal). */
export interface EarlyReply {
  status: number;
  body: unknown;
}

/** What the early answers need besides themselves: how to read the session, and where their lines go. */
export interface EarlyAnswerSettings {
  session: SessionSettings;
  logger: Logger;
}

/** How Express hands a request to an app (`app.handle`), which every way in (`app.listen`, supertest) calls. */
type Handle = (req: IncomingMessage, res: ServerResponse, callback?: (error?: unknown) => void) => void;

/**
 * Puts `answers` in front of `app`: a request one of them is for (its method and path, a small JSON body, a
 * valid session cookie) has its body read and checked for unsafe text as the app's parser and
 * `rejectUnsafeText` would, and its answer asked, before Express sees it. An answer is sent with what every
 * answer of the app carries (`x-request-id`, `Cache-Control: no-store`, one `request completed` line, the
 * duration metric under the route's path) and costs none of Express's own work per request (its response
 * prototypes, the final handler, the walk through the shared middleware): a quarter of a refusal's CPU.
 * Anything else goes to Express as it came, with the body already read (the parser skips it) or, if reading
 * it or the answer failed, that error raised where the body is read, so the app answers it as any route's.
 * With tracing on, an answer from memory has no span: it does no work worth tracing.
 */
export function answerEarlyBeforeExpress(
  app: Express,
  answers: readonly EarlyAnswer[],
  { session, logger }: EarlyAnswerSettings,
): void {
  const byRoute = new Map(answers.map((early) => [`${early.method} ${early.path}`, early]));
  const express = app as unknown as { handle: Handle };
  const viaExpress = express.handle.bind(app);
  express.handle = (req, res, callback) => {
    const early = byRoute.get(`${req.method} ${pathOf(req.url ?? '')}`);
    const user = early !== undefined && isSmallJson(req) ? userOfSessionCookie(req.headers.cookie, session) : undefined;
    if (early === undefined || user === undefined) {
      viaExpress(req, res, callback);
      return;
    }
    const startedAt = performance.now();
    readSmallJson(req)
      .then(async (body) => {
        (req as IncomingMessage & { body?: unknown }).body = body;
        // Unsafe text goes the whole way, where the shared check answers it 400 naming the field.
        const reply = findUnsafeText(body) === undefined ? await early.answer(body, res, user) : undefined;
        if (reply === undefined) {
          viaExpress(req, res, callback);
          return;
        }
        logOnceAnswered(logger, req, res, requestIdOf(req, res), startedAt);
        res.once('finish', () => {
          const labels = { method: early.method, route: early.path, status_code: reply.status };
          httpRequestDuration.observe(labels, (performance.now() - startedAt) / 1000);
        });
        res.statusCode = reply.status;
        res.setHeader('cache-control', NO_STORE);
        res.setHeader('content-type', 'application/json; charset=utf-8');
        res.end(JSON.stringify(reply.body));
      })
      .catch((failure: unknown) => {
        deferFailure(req, failure);
        viaExpress(req, res, callback);
      });
  };
}

/** The path of a request target (`/api/orders?x=1` → `/api/orders`). */
function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
