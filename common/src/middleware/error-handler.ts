import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { ErrorEnvelope } from '../api';
import { isDataException, isDatabaseUnavailable, isTransientConflict } from '../database';
import { BadRequestError, CustomError, NotFoundError, PayloadTooLargeError, ServiceUnavailableError } from '../errors';

/** Errors thrown by express.json() (body-parser) carry a `type` and a client status. */
interface BodyParserError extends Error {
  type: string;
  status: number;
  expose?: boolean;
}

function isBodyParserError(error: unknown): error is BodyParserError {
  return (
    error instanceof Error &&
    typeof (error as Partial<BodyParserError>).type === 'string' &&
    typeof (error as Partial<BodyParserError>).status === 'number'
  );
}

/** Translates what the body parser rejects into our errors, so they share the envelope. */
function fromBodyParser(error: BodyParserError): CustomError | undefined {
  switch (error.type) {
    case 'entity.parse.failed':
      return new BadRequestError('Request body is not valid JSON');
    case 'entity.too.large':
      return new PayloadTooLargeError();
    default:
      return error.status >= 400 && error.status < 500 && error.expose
        ? Object.assign(new BadRequestError(error.message), { statusCode: error.status })
        : undefined;
  }
}

/** Seconds a client is asked to wait before retrying a request the database could not serve. */
const DATABASE_RETRY_AFTER_SECONDS = 5;

/**
 * What a database error means to the caller: a value PostgreSQL cannot take is their mistake (400); a
 * database that is unreachable, or a transaction aborted by another one's timing (a deadlock), is ours
 * and passing (503 with Retry-After). The transaction rolled back
 * either way, so nothing the caller sent was half-applied.
 */
function fromDatabase(error: unknown): CustomError | undefined {
  if (isDatabaseUnavailable(error)) {
    return new ServiceUnavailableError('Service unavailable, please try again', DATABASE_RETRY_AFTER_SECONDS);
  }
  // A deadlock or serialisation failure outside Outbox.transaction (which runs such a transaction again):
  // another request's timing, not this one's fault, and the same request will likely pass.
  if (isTransientConflict(error)) return new ServiceUnavailableError('The service is busy; please try again', 1);
  if (isDataException(error)) return new BadRequestError('Request contains a value that cannot be stored');
  return undefined;
}

/**
 * The one error middleware: every error becomes `{ errors: [{ message, field? }] }` with its status.
 * An unexpected error is logged with its stack and answered 500 with nothing internal in the body.
 */
export const errorHandler: ErrorRequestHandler = (error, req, res, _next) => {
  const known =
    error instanceof CustomError ? error : isBodyParserError(error) ? fromBodyParser(error) : fromDatabase(error);
  if (known) {
    if (known instanceof ServiceUnavailableError && !(error instanceof CustomError)) {
      req.log?.warn({ err: error }, 'database unavailable; answered 503');
    }
    res.set(known.headers());
    res.status(known.statusCode).json({ errors: known.serializeErrors() } satisfies ErrorEnvelope);
    return;
  }
  req.log?.error({ err: error }, 'unhandled error');
  res.status(500).json({ errors: [{ message: 'Something went wrong' }] } satisfies ErrorEnvelope);
};

/** Last route of every app: an unknown path is a 404 with the envelope. */
export const notFoundHandler: RequestHandler = () => {
  throw new NotFoundError();
};
