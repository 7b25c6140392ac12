import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';

declare module 'http' {
  interface IncomingMessage {
    /** The request's id: the caller's `x-request-id` when it is a plain token, else a new UUID. */
    id?: string;
    /** The service's logger with this request's id, for a line about the request beyond its one summary. */
    log?: Logger;
  }
}

/** A caller's request id is kept only when it is a short plain token (it goes into log lines and headers). */
const PLAIN_REQUEST_ID = /^[\w-]{1,100}$/;

/** Answers whose line is written elsewhere, in sum (admission's refusals: one line per ten seconds, not one each). */
const summedUp = new WeakSet<ServerResponse>();

/** Leaves this answer out of the per-request log: its writer sums such answers up in a line of its own. */
export function leaveOutOfRequestLog(res: ServerResponse): void {
  summedUp.add(res);
}

/**
 * One line per request, when its answer has gone (`request aborted` when the caller left first): `request completed` with the request's id, method and
 * path, the status and the time taken (ms), at `info` (`error` for a 5xx); `exempt` paths (probes and
 * scrapes, every few seconds) write none. Sets `x-request-id` on the answer, and `req.log`, a child logger
 * with the request's id, made only when something asks for it (an error handler): a child per request was a
 * tenth of the old middleware's cost, and almost every request never uses it.
 */
export function logRequests(logger: Logger, exempt: readonly string[]): RequestHandler {
  const exemptPaths = new Set(exempt);
  return (req, res, next) => {
    const id = requestIdOf(req, res);
    let child: Logger | undefined;
    Object.defineProperty(req, 'log', {
      get: () => (child ??= logger.child({ reqId: id })),
      configurable: true,
    });
    if (!exemptPaths.has(req.url)) logOnceAnswered(logger, req, res, id);
    next();
  };
}

/** The request's id (the caller's `x-request-id` when it is a plain token, else a new UUID), set on the answer. */
export function requestIdOf(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers['x-request-id'];
  const id = typeof incoming === 'string' && PLAIN_REQUEST_ID.test(incoming) ? incoming : randomUUID();
  req.id = id;
  res.setHeader('x-request-id', id);
  return id;
}

/** Writes the request's one line when its answer has gone, or the caller left first (see {@link logRequests}). */
export function logOnceAnswered(
  logger: Logger,
  req: IncomingMessage,
  res: ServerResponse,
  id: string,
  startedAt = performance.now(),
): void {
  const { method, url } = req;
  // 'close' comes after the answer is sent, or when the caller left before it was.
  res.once('close', () => {
    if (summedUp.has(res)) return;
    const line = {
      req: { id, method, url },
      res: { statusCode: res.statusCode },
      responseTime: Math.round(performance.now() - startedAt),
    };
    const message = res.writableFinished ? 'request completed' : 'request aborted';
    if (res.statusCode >= 500) logger.error(line, message);
    else logger.info(line, message);
  });
}
