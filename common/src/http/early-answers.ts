import type { Request, RequestHandler, Response } from 'express';
import { rejectUnsafeText, type UserPayload } from '../middleware';
import { userOfSessionCookie, type SessionSettings } from './session-cookie';
import { isSmallJson, readSmallJson } from './small-json';

/**
 * A route whose most frequent answer this process can give from memory, without the rest of the shared
 * middleware (cookie-session, the route's own chain, its rate limit): the nine buyers in ten who lose a
 * flash sale. Asked after the request is measured and logged, before admission (an answer from memory takes
 * no slot and never queues behind work), with its JSON body read, and only for a
 * signed-in caller; anything it does not answer goes the whole way, where the route answers it.
 */
export interface EarlyAnswer {
  method: string;
  /** The exact path (no parameters). */
  path: string;
  /**
   * The answer (a status and a JSON body), or undefined for the whole way (it may note the request, e.g. to
   * have later callers wait for its answer).
   */
  answer(req: Request, res: Response, user: UserPayload): EarlyReply | undefined | Promise<EarlyReply | undefined>;
}

/** What an early answer sends: written as is, without Express's response helpers (no ETag for a refusal). */
export interface EarlyReply {
  status: number;
  body: unknown;
}

/**
 * The middleware that gives {@link EarlyAnswer}s their chance: with the user from the session cookie as
 * `currentUser` would find it, and the JSON body read and checked for unsafe text as the app's parser and
 * `rejectUnsafeText` would (the parser then skips it: its body has been read). Only a small body declared
 * as JSON with its length and no content encoding is read here; any other goes the whole way untouched.
 * Read by hand, not by the shared parser: its generality (charsets, encodings, streams) was most of an early
 * answer's cost.
 */
export function earlyAnswers(answers: readonly EarlyAnswer[], session: SessionSettings): RequestHandler {
  const byRoute = new Map(answers.map((early) => [`${early.method} ${early.path}`, early]));
  return (req, res, next) => {
    const early = byRoute.get(`${req.method} ${req.path}`);
    if (early === undefined || !isSmallJson(req)) {
      next();
      return;
    }
    const user = userOfSessionCookie(req.headers.cookie, session);
    if (user === undefined) {
      next();
      return;
    }
    void readSmallJson(req).then(
      (body) => {
        req.body = body;
        try {
          rejectUnsafeText(req, res, () => undefined);
        } catch (unsafe) {
          next(unsafe);
          return;
        }
        // The metric's route label, as the route itself would have set it.
        (req as Request & { route?: unknown }).route ??= { path: early.path };
        Promise.resolve(early.answer(req, res, user)).then(
          (reply) => {
            if (reply === undefined) {
              delete (req as Request & { route?: unknown }).route;
              next();
              return;
            }
            res.statusCode = reply.status;
            res.setHeader('content-type', 'application/json; charset=utf-8');
            res.end(JSON.stringify(reply.body));
          },
          (failure: unknown) => next(failure),
        );
      },
      (error: unknown) => next(error),
    );
  };
}
