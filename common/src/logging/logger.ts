import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths pino blanks out in every line, whatever logs them: session cookies, auth headers and password
 * fields up to three levels deep (pino has no recursive wildcard). Code must still never log a request
 * body or a user record whole: a secret must never reach a log line.
 */
export const REDACTED_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  'res.headers["set-cookie"]',
  'password',
  'currentPassword',
  '*.password',
  '*.currentPassword',
  '*.*.password',
  '*.*.currentPassword',
];

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
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination) : pino(options);
}
