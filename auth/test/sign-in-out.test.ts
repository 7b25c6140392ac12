import request from 'supertest';
import { buildCredentials, buildTestApp, sessionCookie, signUp, useAuthApp } from './helpers';

const context = useAuthApp();

describe('POST /api/users/signin', () => {
  it('when the credentials are right, then it answers 200 with the user and a session cookie', async () => {
    const { user, credentials } = await signUp(context.app);
    const response = await request(context.app).post('/api/users/signin').send(credentials).expect(200);
    expect(response.body).toEqual(user);
    const me = await request(context.app)
      .get('/api/users/currentuser')
      .set('Cookie', sessionCookie(response))
      .expect(200);
    expect(me.body.currentUser).toEqual(user);
  });

  it('when the email differs only in case and spaces, then it still signs in', async () => {
    const { user, credentials } = await signUp(context.app);
    const response = await request(context.app)
      .post('/api/users/signin')
      .send({ email: `  ${credentials.email.toUpperCase()}  `, password: credentials.password })
      .expect(200);
    expect(response.body).toEqual(user);
  });

  it('when the email is unknown or the password wrong, then both answer the same 400 without a cookie', async () => {
    const { credentials } = await signUp(context.app);
    const unknown = await request(context.app)
      .post('/api/users/signin')
      .send({ email: 'nobody@example.com', password: credentials.password })
      .expect(400);
    const wrong = await request(context.app)
      .post('/api/users/signin')
      .send({ email: credentials.email, password: 'wrong password' })
      .expect(400);
    expect(unknown.body).toEqual({ errors: [{ message: 'Invalid credentials' }] });
    expect(wrong.body).toEqual(unknown.body);
    expect(unknown.headers['set-cookie']).toBeUndefined();
    expect(wrong.headers['set-cookie']).toBeUndefined();
  });

  it.each([
    [{ email: 'a@example.com' }, 'password', 'You must supply a password'],
    [{ email: 'a@example.com', password: '' }, 'password', 'You must supply a password'],
    [{ email: 'a@example.com', password: { $ne: '' } }, 'password', 'You must supply a password'],
    [{ password: 'whatever1' }, 'email', 'Email must be valid'],
  ])('when the body is %j, then it answers 400 naming %s', async (body, field, message) => {
    const response = await request(context.app).post('/api/users/signin').send(body).expect(400);
    expect(response.body).toEqual({ errors: [{ message, field }] });
  });
});

describe('POST /api/users/signout', () => {
  it('when signed in, then signing out clears the cookie and the user is a visitor again', async () => {
    const { cookie } = await signUp(context.app);
    const response = await request(context.app).post('/api/users/signout').set('Cookie', cookie).send({}).expect(200);
    expect(response.body).toEqual({});
    const cleared = ([] as string[])
      .concat(response.headers['set-cookie'] ?? [])
      .find((line) => line.startsWith('session='));
    expect(cleared).toMatch(/^session=;/);
    expect(cleared).toMatch(/expires=Thu, 01 Jan 1970/i);
  });

  it('when nobody is signed in, then signing out still answers 200', async () => {
    await request(context.app).post('/api/users/signout').send({}).expect(200, {});
  });
});

describe('GET /api/users/currentuser', () => {
  it('when nobody is signed in, then currentUser is null', async () => {
    await request(context.app).get('/api/users/currentuser').expect(200, { currentUser: null });
  });

  it('when the cookie was tampered with, then the visitor is signed out, not an error', async () => {
    const { cookie } = await signUp(context.app);
    const value = cookie.slice('session='.length);
    const session = JSON.parse(Buffer.from(value, 'base64').toString('utf8')) as { jwt: string };
    const [header, , signature] = session.jwt.split('.');
    const forgedPayload = Buffer.from(
      JSON.stringify({ id: '00000000-0000-4000-8000-000000000000', email: 'admin@example.com' }),
    ).toString('base64url');
    const forged = Buffer.from(JSON.stringify({ jwt: `${header}.${forgedPayload}.${signature}` })).toString('base64');

    await request(context.app)
      .get('/api/users/currentuser')
      .set('Cookie', `session=${forged}`)
      .expect(200, { currentUser: null });
    await request(context.app)
      .get('/api/users/currentuser')
      .set('Cookie', 'session=%%%not-base64')
      .expect(200, { currentUser: null });
  });

  it('when the session has expired, then the visitor is signed out', async () => {
    const expiring = buildTestApp(context.database, { SESSION_TTL_SECONDS: '60' }).app;
    const signedUp = await request(expiring).post('/api/users/signup').send(buildCredentials()).expect(201);
    const cookie = sessionCookie(signedUp);
    const realNow = Date.now;
    try {
      // The JWT says when it expires; jsonwebtoken reads the clock through Date.now.
      Date.now = () => realNow() + 61_000;
      await request(expiring).get('/api/users/currentuser').set('Cookie', cookie).expect(200, { currentUser: null });
    } finally {
      Date.now = realNow;
    }
  });
});
