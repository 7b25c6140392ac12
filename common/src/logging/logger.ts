import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Secrets never reach a log line, whatever logs them. Headers are blanked at their known paths by pino's
 * redaction; password fields are blanked wherever they sit in a plain object, to three levels deep, by
 * {@link censorSecrets}. (pino's wildcard paths did the same at three times the cost of the whole line:
 * 14 µs of every request's log line.) Code must still never log a request body or a user record whole.
 */
export const REDACTED_PATHS = ['req.headers.cookie', 'req.headers.authorization', 'res.headers["set-cookie"]'];

const SECRET_KEYS = new Set(['password', 'currentPassword']);
const CENSOR = '[redacted]';
const SECRET_DEPTH = 3;

/**
 * `object` with every password field of its plain objects (and arrays) replaced by `[redacted]`, to
 * {@link SECRET_DEPTH} levels; copies only what it changes, and never walks class instances (a request, an
 * Error): those are the serializers' to shape.
 */
export function censorSecrets<T>(object: T, depth = 1): T {
  if (Array.isArray(object)) {
    let copy: unknown[] | undefined;
    object.forEach((item, index) => {
      const censored = depth <= SECRET_DEPTH ? censorSecrets(item, depth + 1) : item;
      if (censored !== item) (copy ??= [...object])[index] = censored;
    });
    return (copy ?? object) as T;
  }
  if (object === null || typeof object !== 'object') return object;
  const prototype = Object.getPrototypeOf(object) as unknown;
  if (prototype !== Object.prototype && prototype !== null) return object;
  const record = object as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(record)) {
    const censored = SECRET_KEYS.has(key) ? CENSOR : depth < SECRET_DEPTH ? censorSecrets(value, depth + 1) : value;
    if (censored !== value) (copy ??= { ...record })[key] = censored;
  }
  return (copy ?? object) as T;
}

export interface LoggerOptions {
  /** The service name, on every line. */
  service: string;
  level?: string;
  /** Where lines go; defaults to stdout. Tests pass a stream to read what was logged. */
  destination?: pino.DestinationStream;
}

/** The one structured logger every service uses: JSON lines with the service name, secrets redacted. */
export function createLogger({ service, level = 'info', destination }: LoggerOptions): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service },
    redact: { paths: REDACTED_PATHS, censor: CENSOR },
    formatters: { log: (object) => censorSecrets(object) },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return pino(options, destination ?? standardOutput());
}

/**
 * Stdout, written off the event loop: lines logged while a write is under way go out together in the next
 * one, so a busy service makes one write per batch instead of one per request line (each write is a system
 * call, dear on a small VM), and a quiet one still writes each line at once. pino flushes what is left
 * when the process exits; a SIGKILL can lose the last lines, which a synchronous write would not.
 */
function standardOutput(): pino.DestinationStream {
  return pino.destination({ dest: 1, sync: false });
}
