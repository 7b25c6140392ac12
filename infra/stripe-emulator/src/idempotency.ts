import type { RequestHandler } from 'express';
import { StripeApiError } from './stripe-error';
import { requestIdOf, apiKeyOf, isSavedForIdempotency } from './request-context';

/** Stripe prunes saved results after at least 24 hours; a long laptop session must not grow without bound. */
const SAVED_FOR_MS = 24 * 60 * 60 * 1000;

interface SavedResponse {
  savedAt: number;
  fingerprint: string;
  statusCode: number;
  body: unknown;
  requestId: string;
}

/** Parameters in a stable order, so `metadata[a]` before or after `metadata[b]` is the same request. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${canonicalJson(entry)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Stripe's idempotent requests for POST: the first answer under an `Idempotency-Key` (scoped to the API
 * key) is saved, status and body, and a later request with the same key and the same method, path and
 * parameters gets it again with `Idempotent-Replayed: true`, without running anything. The same key with
 * anything else is an `idempotency_error`. A request rejected during parameter validation is not saved.
 * Route handlers are synchronous, so two requests with one key can never be in flight together.
 */
export function idempotentRequests(): RequestHandler {
  // Insertion order is age order: the oldest entries are at the front.
  const saved = new Map<string, SavedResponse>();
  const pruneExpired = (now: number) => {
    for (const [scope, entry] of saved) {
      if (now - entry.savedAt < SAVED_FOR_MS) break;
      saved.delete(scope);
    }
  };

  return (req, res, next) => {
    const key = req.get('Idempotency-Key');
    if (req.method !== 'POST' || !key) return next();

    res.setHeader('Idempotency-Key', key);
    const scope = `${apiKeyOf(res)}\u0000${key}`;
    const fingerprint = `${req.method} ${req.originalUrl.split('?')[0]} ${canonicalJson(req.body ?? {})}`;
    const now = Date.now();
    pruneExpired(now);
    const previous = saved.get(scope);
    if (previous) {
      if (previous.fingerprint !== fingerprint) {
        throw new StripeApiError(
          400,
          {
            type: 'idempotency_error',
            message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
          },
          false,
        );
      }
      res.setHeader('Idempotent-Replayed', 'true');
      res.setHeader('Original-Request', previous.requestId);
      res.status(previous.statusCode).json(previous.body);
      return;
    }

    const sendJson = res.json.bind(res);
    res.json = (body: unknown) => {
      if (isSavedForIdempotency(res)) {
        saved.set(scope, { savedAt: now, fingerprint, statusCode: res.statusCode, body, requestId: requestIdOf(res) });
      }
      return sendJson(body);
    };
    next();
  };
}
