import type { Request, RequestHandler, Response } from 'express';
import { rejectUnsafeText, type UserPayload } from '../middleware';
import { userOfSessionCookie, type SessionSettings } from './session-cookie';

/**
 * A route whose most frequent answer this process can give from memory, without the rest of the shared
 * middleware (cookie-session, the route's own chain, its rate limit): the nine buyers in ten who lose a
 * flash sale. Asked after the request is measured, logged, admitted and its JSON body read, and only for a
 * signed-in caller; anything it does not answer goes the whole way, where the route answers it.
 */
export interface EarlyAnswer {
  method: string;
  /** The exact path (no parameters). */
  path: string;
  /**
   * Answers and resolves true, or resolves false for the whole way (it may note the request, e.g. to have
   * later callers wait for its answer).
   */
  answer(req: Request, res: Response, user: UserPayload): boolean | Promise<boolean>;
}

/**
 * The middleware that gives {@link EarlyAnswer}s their chance: after the body is read (by `readJsonBody`, the
 * app's own parser, which then skips it) and checked for unsafe text, with the user from the session cookie
 * as `currentUser` would find it.
 */
export function earlyAnswers(
  answers: readonly EarlyAnswer[],
  readJsonBody: RequestHandler,
  session: SessionSettings,
): RequestHandler {
  const byRoute = new Map(answers.map((early) => [`${early.method} ${early.path}`, early]));
  return (req, res, next) => {
    const early = byRoute.get(`${req.method} ${req.path}`);
    if (early === undefined) {
      next();
      return;
    }
    const user = userOfSessionCookie(req.headers.cookie, session);
    if (user === undefined) {
      next();
      return;
    }
    void readJsonBody(req, res, (error?: unknown) => {
      if (error !== undefined) {
        next(error);
        return;
      }
      try {
        rejectUnsafeText(req, res, () => undefined);
      } catch (unsafe) {
        next(unsafe);
        return;
      }
      // The metric's route label, as the route itself would have set it.
      (req as Request & { route?: unknown }).route ??= { path: early.path };
      Promise.resolve(early.answer(req, res, user)).then(
        (answered) => {
          if (!answered) {
            delete (req as Request & { route?: unknown }).route;
            next();
          }
        },
        (failure: unknown) => next(failure),
      );
    });
  };
}
