import request from 'supertest';
import type { Express } from 'express';
import { buildApp } from '../src/app';
import { buildCredentials, buildTestApp, createAuthTestDatabase, signUp, type AuthTestDatabase } from './helpers';

let database: AuthTestDatabase;

beforeAll(async () => {
  database = await createAuthTestDatabase();
});
afterAll(() => database.drop());

describe('auth under bad input and abuse', () => {
  it('when sign-in is attempted too often from one client, then it answers 429 and other routes keep working', async () => {
    const { app } = buildTestApp(database, { AUTH_RATE_LIMIT_PER_MINUTE: '3' });
    const attempt = () =>
      request(app).post('/api/users/signin').send({ email: 'a@example.com', password: 'guess1234' });
    for (let index = 0; index < 3; index += 1) await attempt().expect(400);
    const limited = await attempt().expect(429);
    expect(limited.body).toEqual({ errors: [{ message: 'Too many requests, please try again later' }] });
    expect(limited.headers['retry-after']).toBeDefined();
    await request(app).get('/api/users/currentuser').expect(200);
  });

  it('when the one hop in front names the visitor (the edge, or the web app for a sign-in without JavaScript), then each visitor is counted on their own, whatever they wrote before that entry', async () => {
    const { app } = buildTestApp(database, { AUTH_RATE_LIMIT_PER_MINUTE: '2' });
    // All from one peer (as every sign-in the web app forwards comes from the web app), each naming its visitor.
    const attempt = (forwardedFor: string) =>
      request(app)
        .post('/api/users/signin')
        .set('X-Forwarded-For', forwardedFor)
        .send({ email: 'a@example.com', password: 'guess1234' });
    await attempt('203.0.113.1').expect(400);
    await attempt('203.0.113.1').expect(400);
    await attempt('203.0.113.1').expect(429);
    await attempt('203.0.113.2').expect(400);
    await attempt('198.51.100.9, 203.0.113.1').expect(429);
  });

  it('when one user keeps guessing their current password on account update, then 429 after the limit, per user', async () => {
    const { app } = buildTestApp(database, { ACCOUNT_UPDATE_RATE_LIMIT_PER_MINUTE: '3' });
    const { cookie } = await signUp(app);
    const guess = (session: string) =>
      request(app)
        .patch('/api/users/currentuser')
        .set('Cookie', session)
        .send({ currentPassword: 'wrong guess 123', password: 'new password 456' });
    for (let index = 0; index < 3; index += 1) await guess(cookie).expect(400);
    const limited = await guess(cookie).expect(429);
    expect(limited.body).toEqual({
      errors: [{ message: 'Too many attempts to change your account; please wait a minute' }],
    });
    // Another user of the same address is not limited by it.
    await guess((await signUp(app)).cookie).expect(400);
  });

  it('when sign-in attempts are spread over two replicas, then they count together', async () => {
    const first = buildTestApp(database, { AUTH_RATE_LIMIT_PER_MINUTE: '2' });
    const second = { app: buildApp({ ...first.deps, rateLimits: first.rateLimits }) };
    const attempt = (app: Express) =>
      request(app).post('/api/users/signin').send({ email: 'a@example.com', password: 'guess1234' });
    await attempt(first.app).expect(400);
    await attempt(second.app).expect(400);
    await attempt(first.app).expect(429);
    await attempt(second.app).expect(429);
  });

  it('when sign-up is attempted too often from one client, then it answers 429', async () => {
    const { app } = buildTestApp(database, { AUTH_RATE_LIMIT_PER_MINUTE: '2' });
    await request(app).post('/api/users/signup').send(buildCredentials()).expect(201);
    await request(app).post('/api/users/signup').send(buildCredentials()).expect(201);
    await request(app).post('/api/users/signup').send(buildCredentials()).expect(429);
  });

  it('when the body is malformed JSON, then it answers 400 with the envelope and keeps answering', async () => {
    const { app } = buildTestApp(database);
    const response = await request(app)
      .post('/api/users/signup')
      .set('Content-Type', 'application/json')
      .send('{"email": "a@example.com", "password": ')
      .expect(400);
    expect(response.body).toEqual({ errors: [{ message: 'Request body is not valid JSON' }] });
    await request(app).post('/api/users/signup').send(buildCredentials()).expect(201);
  });

  it('when the body is 1 MB, then it answers 413 with the envelope and keeps answering', async () => {
    const { app } = buildTestApp(database);
    const response = await request(app)
      .post('/api/users/signup')
      .send({ email: 'a@example.com', password: 'x'.repeat(1024 * 1024) })
      .expect(413);
    expect(response.body).toEqual({ errors: [{ message: 'Request body is too large' }] });
    await request(app).get('/api/users/currentuser').expect(200);
  });

  it('when a route does not exist, then it answers 404 with the envelope', async () => {
    const { app } = buildTestApp(database);
    const response = await request(app).get('/api/users/nothing-here').expect(404);
    expect(response.body).toEqual({ errors: [{ message: 'Not found' }] });
  });

  it('when probed, then /healthz is alive and /readyz reports the database', async () => {
    const { app } = buildTestApp(database);
    await request(app).get('/healthz').expect(200, { status: 'ok' });
    await request(app)
      .get('/readyz')
      .expect(200, { status: 'ready', checks: { database: true } });
  });
});
