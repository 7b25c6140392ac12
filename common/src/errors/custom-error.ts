/** One entry of the error envelope `{ errors: [{ message, field? }] }` every route answers with. */
export interface SerializedError {
  message: string;
  field?: string;
}

/**
 * Base of every error a route may throw on purpose. The error middleware turns it into the envelope
 * with `statusCode`; anything that is not a CustomError becomes a 500 with nothing internal in the body.
 */
export abstract class CustomError extends Error {
  abstract readonly statusCode: number;

  protected constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }

  abstract serializeErrors(): SerializedError[];

  /** Headers the answer carries besides the envelope (`Retry-After` on a 429 or 503). */
  headers(): Record<string, string> {
    return {};
  }
}

/** An error with one message (and optionally the field it is about). */
abstract class SingleMessageError extends CustomError {
  protected constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }

  serializeErrors(): SerializedError[] {
    return [this.field === undefined ? { message: this.message } : { message: this.message, field: this.field }];
  }
}

/** 400: the input is wrong in a way the caller can fix. */
export class BadRequestError extends SingleMessageError {
  readonly statusCode = 400;
  constructor(message: string, field?: string) {
    super(message, field);
  }
}

/** 400 with one entry per invalid field. */
export class RequestValidationError extends CustomError {
  readonly statusCode = 400;
  constructor(readonly errors: SerializedError[]) {
    super('Invalid request parameters');
  }

  serializeErrors(): SerializedError[] {
    return this.errors;
  }
}

/** 401: the route needs a signed-in user and there is none. */
export class NotAuthorizedError extends SingleMessageError {
  readonly statusCode = 401;
  constructor(message = 'Not signed in') {
    super(message);
  }
}

/** 403: signed in, but this resource is not the caller's to touch. */
export class ForbiddenError extends SingleMessageError {
  readonly statusCode = 403;
  constructor(message = 'Not allowed') {
    super(message);
  }
}

/**
 * 404: unknown resource, unknown route, or an id that cannot exist (malformed); with `field` when a request
 * field named what is unknown (a transfer's recipient email).
 */
export class NotFoundError extends SingleMessageError {
  readonly statusCode = 404;
  constructor(message = 'Not found', field?: string) {
    super(message, field);
  }
}

/** 409: the request conflicts with the resource's current state (taken, locked, already complete). */
export class ConflictError extends SingleMessageError {
  readonly statusCode = 409;
  constructor(message: string, field?: string) {
    super(message, field);
  }
}

/** 402: the payment was declined; the message is the card issuer's reason. */
export class PaymentDeclinedError extends SingleMessageError {
  readonly statusCode = 402;
  constructor(message = 'Your card was declined') {
    super(message);
  }
}

/** 413: the request body is larger than the service accepts. */
export class PayloadTooLargeError extends SingleMessageError {
  readonly statusCode = 413;
  constructor(message = 'Request body is too large') {
    super(message);
  }
}

/** 429: too many requests from this client; try again later. */
export class TooManyRequestsError extends SingleMessageError {
  readonly statusCode = 429;
  constructor(
    message = 'Too many requests, please try again later',
    /** When the caller may try again, if known. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }

  override headers(): Record<string, string> {
    return this.retryAfterSeconds === undefined
      ? {}
      : { 'Retry-After': String(Math.max(1, Math.ceil(this.retryAfterSeconds))) };
  }
}

/** 503: a dependency (Stripe, say) gave no answer; nothing was decided and the same request may be sent again. */
export class ServiceUnavailableError extends SingleMessageError {
  readonly statusCode = 503;
  constructor(
    message = 'Service unavailable, please try again',
    /** When to try again: a client (or the edge) waits this long before sending the same request. */
    readonly retryAfterSeconds = 5,
  ) {
    super(message);
  }

  override headers(): Record<string, string> {
    return { 'Retry-After': String(this.retryAfterSeconds) };
  }
}
