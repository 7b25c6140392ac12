import type { Request, RequestHandler, Response } from 'express';
import Stripe from 'stripe';
import { stripeId } from './ids';
import type { ApiRequestContext } from './payments';
import { StripeApiError } from './stripe-error';

/**
 * Events carry the API version of the request that caused them; a caller that sends none gets the version
 * the installed SDK is pinned to, which is what the payments service sends anyway.
 */
const DEFAULT_API_VERSION: string = Stripe.API_VERSION;

interface EmulatorLocals {
  requestId?: string;
  apiKey?: string;
  savedForIdempotency?: boolean;
}

function locals(res: Response): EmulatorLocals {
  return res.locals as EmulatorLocals;
}

export function requestIdOf(res: Response): string {
  return locals(res).requestId ?? 'req_unknown';
}

export function apiKeyOf(res: Response): string {
  return locals(res).apiKey ?? '';
}

export function isSavedForIdempotency(res: Response): boolean {
  return locals(res).savedForIdempotency !== false;
}

export function markNotSavedForIdempotency(res: Response): void {
  locals(res).savedForIdempotency = false;
}

/** Every answer has a `Request-Id`, as Stripe's do; the SDK exposes it as `err.requestId`. */
export const assignRequestId: RequestHandler = (_req, res, next) => {
  const requestId = stripeId('req');
  locals(res).requestId = requestId;
  res.setHeader('Request-Id', requestId);
  next();
};

/** A key shown in an error keeps only its start and its last four characters, as Stripe shows it. */
function maskApiKey(key: string): string {
  if (key.length <= 12) return `${key.slice(0, 3)}${'*'.repeat(Math.max(key.length - 3, 0))}`;
  return `${key.slice(0, 8)}${'*'.repeat(key.length - 12)}${key.slice(-4)}`;
}

/** `Authorization: Bearer sk_test_…`: any test-mode secret key is accepted, anything else is a 401. */
export const requireTestSecretKey: RequestHandler = (req, res, next) => {
  const header = req.get('Authorization') ?? '';
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  if (!match?.[1]) {
    throw new StripeApiError(
      401,
      {
        type: 'invalid_request_error',
        message:
          "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
      },
      false,
    );
  }
  const key = match[1];
  if (!/^sk_test_\w+$/.test(key)) {
    throw new StripeApiError(
      401,
      { type: 'invalid_request_error', message: `Invalid API Key provided: ${maskApiKey(key)}` },
      false,
    );
  }
  locals(res).apiKey = key;
  next();
};

export function apiRequestContext(req: Request, res: Response): ApiRequestContext {
  return {
    requestId: requestIdOf(res),
    idempotencyKey: req.get('Idempotency-Key') ?? null,
    apiVersion: req.get('Stripe-Version') ?? DEFAULT_API_VERSION,
  };
}
