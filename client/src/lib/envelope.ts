/**
 * The API's error envelope and the result type both API helpers (server and browser) return, so a page or a
 * form never has to catch: it looks at `ok`, then at `status` and `errors`.
 */
import type { ErrorItem } from '@ticketing/common/api';

export type ApiErrorItem = ErrorItem;

export type ApiResult<T> =
  { ok: true; status: number; data: T; headers: Headers } | { ok: false; status: number; errors: ApiErrorItem[] };

export type ApiFailure = Extract<ApiResult<unknown>, { ok: false }>;

/** Status used when no HTTP answer came back at all (connection refused, timeout). */
export const UNREACHABLE_STATUS = 503;

export const UNAVAILABLE_MESSAGE = 'The service is unavailable right now. Please try again in a moment.';

export function unreachable(): ApiFailure {
  return { ok: false, status: UNREACHABLE_STATUS, errors: [{ message: UNAVAILABLE_MESSAGE }] };
}

function isErrorItem(value: unknown): value is ApiErrorItem {
  if (typeof value !== 'object' || value === null) return false;
  const item = value as Record<string, unknown>;
  return typeof item.message === 'string' && (item.field === undefined || typeof item.field === 'string');
}

function fallbackMessage(status: number): string {
  if (status === 429) return 'Too many attempts. Please wait a minute and try again.';
  if (status >= 500) return UNAVAILABLE_MESSAGE;
  return `The request failed (HTTP ${status}).`;
}

/** Reads a fetch Response into an ApiResult; a body that is not the envelope still yields a readable message. */
export async function readApiResponse<T>(response: Response): Promise<ApiResult<T>> {
  const text = await response.text();
  let body: unknown = undefined;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
  }
  if (response.ok) return { ok: true, status: response.status, data: body as T, headers: response.headers };

  const list = (body as { errors?: unknown } | undefined)?.errors;
  const errors = Array.isArray(list) ? list.filter(isErrorItem) : [];
  if (errors.length === 0) errors.push({ message: fallbackMessage(response.status) });
  // A gateway in front of a stopped service answers 502/504: say "unavailable", not a raw status. A 503 with
  // the envelope is a service's own answer, and its message says what to wait for ("the ticket is being
  // updated", "your order is still being set up"): shown as it is. A 503 without it is an edge's, and the
  // fallback above already says "unavailable".
  if (response.status === 502 || response.status === 504) {
    return { ok: false, status: response.status, errors: [{ message: UNAVAILABLE_MESSAGE }] };
  }
  return { ok: false, status: response.status, errors };
}

/** Splits envelope errors into per-field messages and the rest (shown at the top of the form). */
export function splitErrors(
  errors: readonly ApiErrorItem[],
  fields: readonly string[],
): { fieldErrors: Record<string, string>; formErrors: string[] } {
  const fieldErrors: Record<string, string> = {};
  const formErrors: string[] = [];
  for (const error of errors) {
    if (error.field && fields.includes(error.field) && !(error.field in fieldErrors)) {
      fieldErrors[error.field] = error.message;
    } else if (!formErrors.includes(error.message)) {
      formErrors.push(error.message);
    }
  }
  return { fieldErrors, formErrors };
}
