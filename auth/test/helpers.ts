import type { Express } from 'express';
import { UnitOfWork, listRecordedEvents } from '@ticketing/common/outbox';
import { type Subject } from '@ticketing/common/events';
import { probeReadiness } from '@ticketing/common/http';
import {
  TEST_JWT_KEY,
  createTestDatabase,
  createTestLogger,
  redisUrl,
  useTestRateLimits,
  useTestSessionVersions,
  type TestDatabase,
} from '@ticketing/common/testing';
import request from 'supertest';
import { authService } from '../src/service';
import { SessionVersionMirror } from '../src/accounts/session-version-mirror';
import { loadAuthConfig } from '../src/config';
import { migrationsFolder } from '../src/db/migrations-folder';
import * as schema from '../src/db/schema';

export type AuthTestDatabase = TestDatabase<typeof schema>;

/** A migrated database of its own for one test file. */
export function createAuthTestDatabase(): Promise<AuthTestDatabase> {
  return createTestDatabase(migrationsFolder, schema);
}

/** Rate limits on the real Redis, counted apart for every app this file builds. */
const rateLimitsForNewApp = useTestRateLimits();

/** Session versions on the real Redis, apart for every app this file builds unless it names a prefix. */
const sessionVersionsForNewApp = useTestSessionVersions();

/**
 * The auth app on a test database, configured as in production but for the given variables; its session
 * versions under `sessions.keyPrefix` when another app of the test must see them.
 */
export function buildTestApp(
  database: AuthTestDatabase,
  env: NodeJS.ProcessEnv = {},
  sessions: { keyPrefix?: string; pollMs?: number } = {},
) {
  const config = loadAuthConfig({
    DATABASE_URL: database.url,
    NATS_URL: 'nats://unused-in-http-tests',
    JWT_KEY: TEST_JWT_KEY,
    NODE_ENV: 'test',
    REDIS_URL: redisUrl(),
    AUTH_RATE_LIMIT_PER_MINUTE: '1000',
    ...env,
  });
  const logger = createTestLogger();
  const unitOfWork = new UnitOfWork(database.db, { logger });
  const sessionVersions = sessionVersionsForNewApp(sessions);
  const sessionMirror = new SessionVersionMirror(database.db, sessionVersions, config.SESSION_TTL_SECONDS, logger);
  const deps = {
    config,
    unitOfWork,
    logger,
    readiness: probeReadiness({ database }),
    sessionVersions,
    sessionMirror,
    rateLimits: rateLimitsForNewApp(),
  };
  const app = authService.app({ ...deps, database });
  return { app, unitOfWork, config, deps, rateLimits: deps.rateLimits, sessionVersions, sessionMirror };
}

let counter = 0;
/** A fresh, valid sign-up body. */
export function buildCredentials(overrides: Partial<{ email: string; password: string }> = {}) {
  counter += 1;
  return { email: `buyer${counter}-${Date.now()}@example.com`, password: 'correct horse battery', ...overrides };
}

/** Signs a new user up and returns the session cookie the browser would keep. */
export async function signUp(app: Express, credentials = buildCredentials()) {
  const response = await request(app).post('/api/users/signup').send(credentials).expect(201);
  return { cookie: sessionCookie(response), user: response.body as { id: string; email: string }, credentials };
}

/** The `name=value` part of the session cookie a response set. */
export function sessionCookie(response: request.Response): string {
  const header = ([] as string[]).concat(response.headers['set-cookie'] ?? []);
  const cookie = header.find((line) => line.startsWith('session='));
  if (!cookie) throw new Error(`no session cookie in ${JSON.stringify(header)}`);
  return cookie.split(';')[0] as string;
}

/** The payloads auth has recorded for a subject, oldest first. */
export async function recordedPayloads(database: AuthTestDatabase, subject: Subject) {
  return (await listRecordedEvents(database.db, subject)).map((row) => row.data);
}

/**
 * For a test file: a database of its own before all tests, the app on it, and the database dropped after.
 * Read `context.app` / `context.database` inside tests (they are set in beforeAll).
 */
export function useAuthApp(env: NodeJS.ProcessEnv = {}) {
  const context = {} as { database: AuthTestDatabase; app: ReturnType<typeof buildTestApp>['app'] };
  beforeAll(async () => {
    context.database = await createAuthTestDatabase();
    context.app = buildTestApp(context.database, env).app;
  });
  afterAll(() => context.database.drop());
  return context;
}
