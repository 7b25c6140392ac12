import request from 'supertest';
import { eq } from 'drizzle-orm';
import { users } from '../src/db/schema';
import { buildCredentials, buildTestApp, recordedPayloads, sessionCookie, useAuthApp } from './helpers';

const context = useAuthApp();

describe('POST /api/users/signup', () => {
  it('when the input is valid, then it answers 201 with the user and a session cookie', async () => {
    const credentials = buildCredentials();
    const response = await request(context.app).post('/api/users/signup').send(credentials).expect(201);

    expect(response.body).toEqual({ id: expect.any(String), email: credentials.email });
    const cookie = ([] as string[])
      .concat(response.headers['set-cookie'] ?? [])
      .find((line) => line.startsWith('session='));
    expect(cookie).toMatch(/httponly/i);
    expect(cookie).toMatch(/samesite=lax/i);
    expect(cookie).toMatch(/expires=/i);
    expect(cookie).not.toMatch(/secure/i);
  });

  it('when signed up, then the cookie signs the user in', async () => {
    const credentials = buildCredentials();
    const signedUp = await request(context.app).post('/api/users/signup').send(credentials).expect(201);
    const me = await request(context.app)
      .get('/api/users/currentuser')
      .set('Cookie', sessionCookie(signedUp))
      .expect(200);
    expect(me.body).toEqual({ currentUser: { id: signedUp.body.id, email: credentials.email } });
  });

  it('when the email has capitals and spaces, then it is stored trimmed and lower-cased', async () => {
    const response = await request(context.app)
      .post('/api/users/signup')
      .send({ email: '  Mixed.Case@Example.COM ', password: 'password123' })
      .expect(201);
    expect(response.body.email).toBe('mixed.case@example.com');
  });

  it('when a user signs up, then user.created is recorded in the outbox with version 0', async () => {
    const response = await request(context.app).post('/api/users/signup').send(buildCredentials()).expect(201);
    expect(await recordedPayloads(context.database, 'user.created')).toContainEqual({
      id: response.body.id,
      email: response.body.email,
      version: 0,
    });
  });

  it('when the email is taken (in any case), then it answers 409 and creates nothing', async () => {
    const credentials = buildCredentials();
    await request(context.app).post('/api/users/signup').send(credentials).expect(201);
    const before = (await recordedPayloads(context.database, 'user.created')).length;

    const response = await request(context.app)
      .post('/api/users/signup')
      .send({ ...credentials, email: ` ${credentials.email.toUpperCase()}` })
      .expect(409);
    expect(response.body).toEqual({ errors: [{ message: 'Email in use', field: 'email' }] });
    expect(await recordedPayloads(context.database, 'user.created')).toHaveLength(before);
  });

  it('when ten sign-ups race for one email, then exactly one account is created', async () => {
    const credentials = buildCredentials();
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => request(context.app).post('/api/users/signup').send(credentials)),
    );
    expect(responses.map((response) => response.status).sort()).toEqual([201, ...Array(9).fill(409)]);
    expect(await context.database.db.select().from(users).where(eq(users.email, credentials.email))).toHaveLength(1);
  });

  it('when stored, then the password is a salted scrypt hash, different for two users with one password', async () => {
    const first = buildCredentials({ password: 'same password' });
    const second = buildCredentials({ password: 'same password' });
    await request(context.app).post('/api/users/signup').send(first).expect(201);
    await request(context.app).post('/api/users/signup').send(second).expect(201);
    const [a] = await context.database.db.select().from(users).where(eq(users.email, first.email));
    const [b] = await context.database.db.select().from(users).where(eq(users.email, second.email));
    expect(a?.passwordHash).toMatch(/^scrypt\$/);
    expect(a?.passwordHash).not.toContain('same password');
    expect(a?.passwordHash).not.toBe(b?.passwordHash);
  });

  it.each([
    [{ password: 'password123' }, 'email', 'Email must be valid'],
    [{ email: 'not-an-email', password: 'password123' }, 'email', 'Email must be valid'],
    [{ email: 42, password: 'password123' }, 'email', 'Email must be valid'],
    [{ email: 'a@example.com' }, 'password', 'Password must be between 8 and 128 characters'],
    [{ email: 'a@example.com', password: 'short' }, 'password', 'Password must be between 8 and 128 characters'],
    [
      { email: 'a@example.com', password: 'x'.repeat(129) },
      'password',
      'Password must be between 8 and 128 characters',
    ],
    [{ email: 'a@example.com', password: 12345678 }, 'password', 'Password must be between 8 and 128 characters'],
    [{ email: ['a@example.com'], password: 'password123' }, 'email', 'Email must be valid'],
  ])('when the body is %j, then it answers 400 naming %s', async (body, field, message) => {
    const response = await request(context.app).post('/api/users/signup').send(body).expect(400);
    expect(response.body).toEqual({ errors: [{ message, field }] });
  });

  it('when the password is exactly 8 or 128 characters, then it is accepted', async () => {
    await request(context.app)
      .post('/api/users/signup')
      .send(buildCredentials({ password: 'x'.repeat(8) }))
      .expect(201);
    await request(context.app)
      .post('/api/users/signup')
      .send(buildCredentials({ password: 'y'.repeat(128) }))
      .expect(201);
  });

  it('when running in production, then the cookie is Secure', async () => {
    const production = buildTestApp(context.database, { NODE_ENV: 'production' }).app;
    const response = await request(production)
      .post('/api/users/signup')
      .set('X-Forwarded-Proto', 'https')
      .send(buildCredentials())
      .expect(201);
    expect(String(response.headers['set-cookie'])).toMatch(/secure/i);
  });
});
