import { z } from 'zod';
import { DEFAULT_LISTENER_CONCURRENCY } from '../bus/event-bus';

/** A configuration that cannot start a service: names every missing or invalid variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses the environment once against `schema` and freezes the result. Fails at start with a message
 * naming each variable that is missing or invalid, so a bad deployment never half-runs.
 */
export function loadConfig<Schema extends z.ZodObject>(
  schema: Schema,
  env: NodeJS.ProcessEnv = process.env,
): Readonly<z.output<Schema>> {
  const result = schema.safeParse(env);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const variable = issue.path.join('.');
        return env[variable] === undefined || env[variable] === ''
          ? `${variable} is required`
          : `${variable} is invalid: ${issue.message}`;
      }),
    );
  }
  return Object.freeze(result.data);
}

const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);

/** A required, non-empty variable. */
export const requiredString = () => z.string().trim().min(1);

/**
 * The variables every service reads: where it listens, its own database, the bus, and logging.
 * Services extend this object with their own.
 */
export function serviceEnvironment(defaultPort: number) {
  return z.object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    PORT: port(defaultPort),
    /**
     * The address it listens on: 127.0.0.1 on a laptop, behind the local gateway, so that nothing else on the
     * network reaches it (its /metrics, or a forged X-Forwarded-For that only the edge may set). A pod must
     * listen on every interface for its probes and its Service: the images and the manifests set 0.0.0.0.
     */
    HOST: z.string().trim().min(1).default('127.0.0.1'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }),
    /**
     * Connections the service's pool opens at most: its requests, its listeners (each up to
     * EVENT_LISTENER_CONCURRENCY transactions at once) and its outbox relay share them. Every replica's pool
     * counts against the server's max_connections.
     */
    DATABASE_POOL_SIZE: z.coerce.number().int().min(2).max(100).default(10),
    NATS_URL: requiredString(),
    /** The JetStream stream every event of this deployment lives in. */
    NATS_STREAM: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/)
      .default('TICKETING'),
    /** First token of every subject, so two deployments (or test runs) on one server never mix. */
    NATS_SUBJECT_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/)
      .default('ticketing'),
    /** Replicas of the stream: 1 on a laptop, 3 in a production cluster (docs/rules.md#rule-7). */
    NATS_STREAM_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
    /**
     * How long a failing event is retried before it goes to the dead-letter subject (docs/rules.md#rule-6):
     * long enough to outlast any outage of a dependency. A day by default.
     */
    EVENT_RETRY_BUDGET_SECONDS: z.coerce
      .number()
      .int()
      .min(1)
      .default(24 * 60 * 60),
    /** First retry delay of a failing event; doubled per failure up to EVENT_RETRY_MAX_DELAY_MS. */
    EVENT_RETRY_BASE_DELAY_MS: z.coerce.number().int().min(1).default(250),
    EVENT_RETRY_MAX_DELAY_MS: z.coerce.number().int().min(1).default(30_000),
    /** A consumer holding a failing event longer than this says so (a warning, and `/readyz` details). */
    EVENT_STUCK_WARNING_SECONDS: z.coerce.number().int().min(1).default(60),
    /**
     * Events one listener handles at once: those about different entities side by side, those about one
     * entity (a ticket, an order) one at a time in order. 1 handles every event in turn.
     */
    EVENT_LISTENER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(DEFAULT_LISTENER_CONCURRENCY),
    /**
     * Requests one process works on at once; the rest wait in arrival order (admissionControl). Generous:
     * the database pool queues what needs it, and a refusal answered from memory must not wait behind it.
     */
    HTTP_MAX_IN_FLIGHT: z.coerce.number().int().min(1).default(256),
    /** The longest a request waits to start before it is answered 503 with Retry-After. */
    HTTP_QUEUE_TIMEOUT_MS: z.coerce.number().int().min(1).default(2_000),
    /**
     * An OpenTelemetry collector's OTLP/HTTP endpoint (spans go to `<it>/v1/traces`). Unset or empty,
     * tracing is off: no SDK starts and requests and events pay one check.
     */
    OTEL_EXPORTER_OTLP_ENDPOINT: z
      .union([z.literal(''), z.url({ protocol: /^https?$/ })])
      .optional()
      .transform((value) => value || undefined),
  });
}

/** The admission settings `createServiceApp` takes, from a service's parsed config. */
export function admissionSettings(config: Pick<ServiceConfig, 'HTTP_MAX_IN_FLIGHT' | 'HTTP_QUEUE_TIMEOUT_MS'>) {
  return { maxInFlight: config.HTTP_MAX_IN_FLIGHT, queueTimeoutMs: config.HTTP_QUEUE_TIMEOUT_MS };
}

/** What every service's config holds. */
export type ServiceConfig = z.output<ReturnType<typeof serviceEnvironment>>;

/** Variables of a service that reads the session cookie. */
export const sessionEnvironment = z.object({
  JWT_KEY: z.string().min(16, 'must be at least 16 characters'),
  /** How long a sign-in lasts: the cookie's max age and the JWT's expiry alike. */
  SESSION_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .default(24 * 60 * 60),
  /**
   * The Redis every service shares: where auth mirrors each user's session version and every service reads
   * it (SessionVersions), and where abuse limits count.
   */
  REDIS_URL: z.url({ protocol: /^rediss?$/ }),
  /**
   * How often a process reads the session revocations it has not seen yet (one Redis read per process, the
   * middleware itself asks no one): how long a revoked cookie ("sign out everywhere", a password change) may
   * still work here. A few seconds.
   */
  SESSION_VERSION_CACHE_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  /** Secure cookies; defaults to on in production, where the edge terminates TLS. */
  COOKIE_SECURE: z
    .enum(['true', 'false'])
    .optional()
    .transform((value) => (value === undefined ? undefined : value === 'true')),
});

/**
 * The session settings `createServiceApp` takes, from a service's parsed config; the app adds its session
 * versions (`{ ...sessionSettings(config), versions }`).
 */
export function sessionSettings(config: z.output<typeof sessionEnvironment> & Pick<ServiceConfig, 'NODE_ENV'>) {
  return {
    jwtKey: config.JWT_KEY,
    // Secure cookies unless said otherwise; on by default in production, where the edge terminates TLS.
    cookieSecure: config.COOKIE_SECURE ?? config.NODE_ENV === 'production',
    maxAgeMs: config.SESSION_TTL_SECONDS * 1000,
  };
}

/** The Redis a service shares with its other replicas: where abuse limits count (SharedRateLimits). */
export const rateLimitEnvironment = z.object({
  REDIS_URL: z.url({ protocol: /^rediss?$/ }),
});
