import request from 'supertest';
import { buildCredentials, buildTestApp, createAuthTestDatabase, type AuthTestDatabase } from './helpers';

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
