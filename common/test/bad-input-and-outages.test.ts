import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { sql } from 'drizzle-orm';
import request from 'supertest';
import { createServiceApp, probeReadiness, UNSAFE_TEXT_MESSAGE } from '../src';
import { createTestDatabase, createTestLogger, refuseConnections, type TestDatabase } from '../src/testing';
import * as schema from './fixtures/schema';

const migrations = path.join(__dirname, 'fixtures', 'migrations');

let database: TestDatabase<typeof schema>;

beforeAll(async () => {
  database = await createTestDatabase(migrations, schema);
});
afterAll(async () => {
  await database.drop();
});

/** A service whose routes write what they are sent to a real database, as every service's routes do. */
function buildApp() {
  const routes = Router();
  routes.post('/notes', async (req, res) => {
    const [note] = await database.db
      .insert(schema.notes)
      .values({ id: randomUUID(), body: JSON.stringify(req.body) })
      .returning();
    res.status(201).json(JSON.parse(note?.body ?? 'null'));
  });
  routes.get('/count', async (req, res) => {
    const result = await database.db.execute(sql`SELECT ${String(req.query.n)}::int AS n`);
    res.json(result.rows[0]);
  });
  return createServiceApp({
    logger: createTestLogger(),
    readiness: probeReadiness({ database }),
    routes,
  });
}

describe('text no service can store', () => {
  it.each([
    ['a NUL character', '{"text":"a\\u0000b"}', 'text'],
    ['a lone high surrogate', '{"text":"ticket \\ud83c"}', 'text'],
    ['a lone low surrogate', '{"text":"\\udfab"}', 'text'],
    ['a NUL deep inside', '{"ticket":{"tags":["ok","bad\\u0000"]}}', 'ticket.tags[1]'],
  ])('when the body holds %s, then 400 names the field and nothing reaches the database', async (_case, raw, field) => {
    const response = await request(buildApp()).post('/notes').set('Content-Type', 'application/json').send(raw);
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ errors: [{ message: UNSAFE_TEXT_MESSAGE, field }] });
    expect(await database.db.select().from(schema.notes)).toEqual([]);
  });

  it('when the query string holds a NUL, then 400 names the parameter', async () => {
    const response = await request(buildApp()).get('/count?n=1%00');
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ errors: [{ message: UNSAFE_TEXT_MESSAGE, field: 'n' }] });
  });

  it('when the text is an emoji (a proper surrogate pair) or accented, then it is stored as sent', async () => {
    const response = await request(buildApp()).post('/notes').send({ text: 'Concert 🎫 à Zürich' }).expect(201);
    expect(response.body).toEqual({ text: 'Concert 🎫 à Zürich' });
    await database.db.delete(schema.notes);
  });
});

describe('database errors', () => {
  it('when PostgreSQL refuses a value (SQLSTATE class 22), then 400 with the envelope, not 500', async () => {
    const response = await request(buildApp()).get('/count?n=99999999999');
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ errors: [{ message: 'Request contains a value that cannot be stored' }] });
  });

  it('when the database refuses connections, then routes answer 503 with Retry-After and /readyz is not ready; after it returns, both recover', async () => {
    const app = buildApp();
    const restore = await refuseConnections(database.name);
    try {
      const refused = await request(app).post('/notes').send({ text: 'hello' });
      expect(refused.status).toBe(503);
      expect(refused.headers['retry-after']).toBe('5');
      expect(refused.body).toEqual({ errors: [{ message: 'Service unavailable, please try again' }] });
      const readiness = await request(app).get('/readyz');
      expect(readiness.status).toBe(503);
      expect(readiness.body.checks).toEqual({ database: false });
    } finally {
      await restore();
    }
    expect(await database.db.select().from(schema.notes)).toEqual([]);
    await request(app).post('/notes').send({ text: 'hello' }).expect(201, { text: 'hello' });
    await request(app).get('/readyz').expect(200);
  });

  it('when the database ends a connection a use case holds between two queries, then that use case fails, the service answers 503 meanwhile and serves again after', async () => {
    const app = buildApp();
    let connectionLost!: () => void;
    const lost = new Promise<void>((resolve) => (connectionLost = resolve));
    const holding = database.db.transaction(async (tx) => {
      await tx.insert(schema.notes).values({ id: randomUUID(), body: 'half done' });
      // Waits without a query in flight: the client is out of the pool, with no query to fail.
      await lost;
      await tx.execute(sql`SELECT 1`);
    });
    const failed = holding.then(
      () => undefined,
      (error: unknown) => error,
    );
    const restore = await refuseConnections(database.name);
    try {
      // The ended connection emits 'error' on its client; nobody listening to it would end the process here.
      await new Promise((resolve) => setTimeout(resolve, 200));
      connectionLost();
      expect(await failed).toBeInstanceOf(Error);
      expect((await request(app).post('/notes').send({ text: 'meanwhile' })).status).toBe(503);
    } finally {
      await restore();
    }
    // The transaction rolled back whole; the service goes on serving.
    expect((await database.db.select().from(schema.notes)).map((note) => note.body)).not.toContain('half done');
    await request(app).post('/notes').send({ text: 'after' }).expect(201, { text: 'after' });
  });
});
