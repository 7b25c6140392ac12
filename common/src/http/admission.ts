import type { ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { leaveOutOfRequestLog } from './request-log';

export interface AdmissionOptions {
  /** Requests worked on at once; the rest wait in arrival order. */
  maxInFlight: number;
  /**
   * The longest a request may wait to start. One that has waited this long is answered 503 at once, and
   * one that arrives behind a queue the service cannot serve within it (at its recent pace) is answered 503
   * on arrival: a buyer learns in a moment to come back, instead of queueing for minutes.
   */
  queueTimeoutMs: number;
  logger: Logger;
  /** Paths never queued nor refused; default {@link PROBE_PATHS}. */
  exempt?: readonly string[];
  now?: () => number;
}

/** Never queued nor refused: the probes and the metrics scrape, which must answer while the service is busy. */
export const PROBE_PATHS: readonly string[] = ['/healthz', '/readyz', '/metrics'];

const BUSY = JSON.stringify({ errors: [{ message: 'The service is busy; please try again in a moment' }] });
/** Seconds a refused client is asked to wait: the backlog's own horizon is about that. */
const RETRY_AFTER_SECONDS = 1;
/** How often refusals are summed up in the log (one line, not one per refusal, when it matters most). */
const REPORT_EVERY_MS = 10_000;

interface Waiter {
  start: () => void;
  timer: NodeJS.Timeout;
}

/** How each admitted response gives its slot back early (see {@link leaveAdmission}). */
const earlyExits = new WeakMap<ServerResponse, () => void>();

/**
 * Gives the request's slot back before its response ends: for a long-lived answer (an event stream) once
 * its headers are sent. Its setup (a snapshot read) was bounded like any request; the hours it then stays
 * open are not work in flight, and must not shut out buyers. Does nothing for a request not admitted here.
 */
export function leaveAdmission(res: ServerResponse): void {
  earlyExits.get(res)?.();
}

/**
 * Bounds the work in flight and sheds the excess quickly, so that a burst costs a quick 503 instead of
 * every request slowing down until the proxies time out: at most `maxInFlight` requests are
 * worked on, the rest wait first come first served, and none waits longer than `queueTimeoutMs`. A refusal
 * is the usual envelope with 503 and `Retry-After`; a request whose client has gone while it waited is
 * dropped without being worked on. Mounted before the body parser, the session and the routes, so a refusal
 * costs next to nothing, and after the early answers (an answer from memory takes no slot). Refusals are
 * summed up in one log line every ten seconds, not one line each.
 */
export function admissionControl(options: AdmissionOptions): RequestHandler {
  const now = options.now ?? Date.now;
  const exempt = new Set(options.exempt ?? PROBE_PATHS);
  const queue: Waiter[] = [];
  let inFlight = 0;
  // The pace the service finishes requests at, smoothed: what a new arrival's wait is estimated from.
  let finishedPerMs = 0;
  let windowStart = now();
  let finishedInWindow = 0;
  let refused = 0;

  const report = setInterval(() => {
    if (refused === 0) return;
    options.logger.warn(
      { refused, queued: queue.length, inFlight },
      `busy: ${refused} request(s) answered 503 in the last ${REPORT_EVERY_MS / 1000} s`,
    );
    refused = 0;
  }, REPORT_EVERY_MS);
  report.unref();

  const finished = () => {
    inFlight -= 1;
    finishedInWindow += 1;
    const elapsed = now() - windowStart;
    if (elapsed >= 250) {
      const pace = finishedInWindow / elapsed;
      finishedPerMs = finishedPerMs === 0 ? pace : 0.5 * finishedPerMs + 0.5 * pace;
      windowStart = now();
      finishedInWindow = 0;
    }
    const next = queue.shift();
    if (next !== undefined) {
      clearTimeout(next.timer);
      next.start();
    }
  };

  const refuse = (res: Parameters<RequestHandler>[1]) => {
    refused += 1;
    leaveOutOfRequestLog(res);
    if (res.headersSent || res.destroyed) return;
    res.writeHead(503, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(BUSY),
      'retry-after': String(RETRY_AFTER_SECONDS),
      'cache-control': 'no-store',
    });
    res.end(BUSY);
  };

  return (req, res, next) => {
    if (exempt.has(req.path)) {
      next();
      return;
    }
    const start = () => {
      inFlight += 1;
      let left = false;
      const leave = () => {
        if (left) return;
        left = true;
        earlyExits.delete(res);
        finished();
      };
      earlyExits.set(res, leave);
      res.once('close', leave);
      next();
    };
    if (inFlight < options.maxInFlight) {
      start();
      return;
    }
    // Behind this many, at the recent pace, the wait would be longer than a buyer is asked to bear.
    if (finishedPerMs > 0 && queue.length / finishedPerMs > options.queueTimeoutMs) {
      refuse(res);
      return;
    }
    const waiter: Waiter = {
      start,
      timer: setTimeout(() => {
        remove(waiter);
        refuse(res);
      }, options.queueTimeoutMs),
    };
    queue.push(waiter);
    // The client gave up while waiting: nothing to do for it.
    res.once('close', () => {
      if (remove(waiter)) clearTimeout(waiter.timer);
    });
  };

  function remove(waiter: Waiter): boolean {
    const index = queue.indexOf(waiter);
    if (index === -1) return false;
    queue.splice(index, 1);
    return true;
  }
}
