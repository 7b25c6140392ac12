/**
 * Stripe's error body, `{ error: {...} }`. The SDK picks its error class from the HTTP status (400/404 →
 * StripeInvalidRequestError or, for `idempotency_error`, StripeIdempotencyError; 401 → StripeAuthenticationError;
 * 402 → StripeCardError) and copies these fields onto the error (`err.code`, `err.decline_code`, `err.raw`).
 */
export interface StripeErrorBody {
  type: 'api_error' | 'card_error' | 'idempotency_error' | 'invalid_request_error';
  message: string;
  code?: string;
  decline_code?: string;
  param?: string;
  doc_url?: string;
  charge?: string;
  payment_intent?: object;
  payment_method?: object;
}

/** A Stripe API error the routes throw; the error middleware writes it as Stripe would. */
export class StripeApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly body: StripeErrorBody,
    /**
     * Stripe saves an idempotent result only once an endpoint starts executing: a request rejected while its
     * parameters are validated is not saved, so the caller may fix it and retry under the same key.
     */
    readonly savedForIdempotency = true,
  ) {
    super(body.message);
    this.name = 'StripeApiError';
  }
}

/** Stripe links each error code to its page; kept so the shape matches. */
export function docUrlFor(code: string): string {
  return `https://stripe.com/docs/error-codes/${code.replace(/_/g, '-')}`;
}

/** A 400 for a parameter problem, rejected before the endpoint runs (not saved for idempotency). */
export function invalidParameter(code: string, param: string, message: string): StripeApiError {
  return new StripeApiError(
    400,
    { type: 'invalid_request_error', code, doc_url: docUrlFor(code), message, param },
    false,
  );
}

export function parameterMissing(param: string): StripeApiError {
  return invalidParameter('parameter_missing', param, `Missing required param: ${param}.`);
}

export function parameterUnknown(param: string): StripeApiError {
  return invalidParameter(
    'parameter_unknown',
    param,
    `Received unknown parameter: ${param}. (The Ticketing Stripe emulator supports only the parameters its README lists.)`,
  );
}

/** `No such payment_intent: 'pi_x'`: 404 for an id in the path, 400 for an id passed as a parameter. */
export function resourceMissing(statusCode: 400 | 404, resource: string, id: string, param: string): StripeApiError {
  return new StripeApiError(statusCode, {
    type: 'invalid_request_error',
    code: 'resource_missing',
    doc_url: docUrlFor('resource_missing'),
    message: `No such ${resource}: '${id}'`,
    param,
  });
}

/** A 400 for a request that is well formed but not allowed in the object's current state. */
export function invalidRequest(code: string, message: string, extra: Partial<StripeErrorBody> = {}): StripeApiError {
  return new StripeApiError(400, {
    type: 'invalid_request_error',
    code,
    doc_url: docUrlFor(code),
    message,
    ...extra,
  });
}
