import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';

/** The largest body read by hand: a listing, a reservation, a payment are a few hundred bytes. */
const SMALL_BODY_LIMIT_BYTES = 16 * 1024;

/**
 * Whether the body is small JSON that {@link readSmallJson} reads: declared `application/json` (UTF-8, the
 * only charset it takes) with its length, at most 16 KB, and no content encoding. Any other goes to the shared
 * parser.
 */
export function isSmallJson(req: IncomingMessage): boolean {
  const length = Number(req.headers['content-length']);
  const type = req.headers['content-type'] ?? '';
  return (
    Number.isInteger(length) &&
    length <= SMALL_BODY_LIMIT_BYTES &&
    req.headers['content-encoding'] === undefined &&
    /^application\/json\s*(?:;\s*charset=utf-8\s*)?$/i.test(type)
  );
}

/**
 * The body, parsed as the shared JSON parser would (strict: an object or an array; no bytes at all is `{}`), its exact
 * bytes kept as `rawBody`; rejects with the parser's own kind of error, which the error handler answers 400.
 * Read by hand, not by the shared parser: its generality (charsets, encodings, streams) was most of the cost
 * of reading a few hundred bytes.
 */
export function readSmallJson(req: IncomingMessage & { rawBody?: Buffer }): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    // The caller left mid-body: the shared parser's own kind of error (a 400 nobody reads, not a 500).
    req.once('error', () =>
      reject(Object.assign(new Error('request aborted'), { type: 'request.aborted', status: 400, expose: true })),
    );
    req.once('end', () => {
      const raw = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      req.rawBody = raw;
      // A leading byte order mark is dropped, as the shared parser's decoder does.
      const decoded = raw.toString('utf8');
      const text = decoded.charCodeAt(0) === 0xfeff ? decoded.slice(1) : decoded;
      if (text.length === 0) return resolve({});
      const first = text.trimStart()[0];
      try {
        if (first !== '{' && first !== '[') throw new SyntaxError('not an object or an array');
        resolve(JSON.parse(text));
      } catch {
        reject(
          Object.assign(new Error('Request body is not valid JSON'), { type: 'entity.parse.failed', status: 400 }),
        );
      }
    });
  });
}

/** Failures met before Express (an early answer's body that is not JSON, a caller gone, the answer throwing). */
const deferredFailures = new WeakMap<IncomingMessage, unknown>();

/** Has {@link readJsonBodies} fail `req` with `error` once it gets there, so the app answers it as any route's. */
export function deferFailure(req: IncomingMessage, error: unknown): void {
  deferredFailures.set(req, error);
}

/**
 * The app's JSON body parser: a small JSON body read by hand ({@link readSmallJson}), any other by `parser`
 * (the shared one, with its limit). A body already read (by an early answer) is left as it is, and a request
 * that failed there fails here with the same error.
 */
export function readJsonBodies(parser: RequestHandler): RequestHandler {
  return (req, res, next) => {
    if (deferredFailures.has(req)) {
      next(deferredFailures.get(req));
      return;
    }
    if (req.rawBody !== undefined || !isSmallJson(req)) {
      parser(req, res, next);
      return;
    }
    readSmallJson(req).then(
      (body) => {
        req.body = body;
        next();
      },
      (error: unknown) => next(error),
    );
  };
}
