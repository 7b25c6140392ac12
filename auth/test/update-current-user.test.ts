import request from 'supertest';
import { buildCredentials, recordedPayloads, sessionCookie, signUp, useAuthApp } from './helpers';

const context = useAuthApp();

const patch = (cookie?: string) => {
  const call = request(context.app).patch('/api/users/currentuser');
  return cookie ? call.set('Cookie', cookie) : call;
};

describe('PATCH /api/users/currentuser', () => {
  it('when nobody is signed in, then it answers 401', async () => {
    const response = await patch().send({ currentPassword: 'whatever1', email: 'new@example.com' }).expect(401);
    expect(response.body).toEqual({ errors: [{ message: 'Not signed in' }] });
  });

  it('when the email changes, then the session, sign-in and user.updated all carry the new email', async () => {
    const { cookie, user, credentials } = await signUp(context.app);
    const newEmail = buildCredentials().email;
    const response = await patch(cookie)
      .send({ currentPassword: credentials.password, email: ` ${newEmail.toUpperCase()}` })
      .expect(200);
    expect(response.body).toEqual({ id: user.id, email: newEmail });

    const me = await request(context.app)
      .get('/api/users/currentuser')
      .set('Cookie', sessionCookie(response))
      .expect(200);
    expect(me.body.currentUser).toEqual({ id: user.id, email: newEmail });
    await request(context.app)
      .post('/api/users/signin')
      .send({ email: newEmail, password: credentials.password })
      .expect(200);
    await request(context.app).post('/api/users/signin').send(credentials).expect(400);
    expect(await recordedPayloads(context.database, 'user.updated')).toContainEqual({
      id: user.id,
      email: newEmail,
      version: 1,
    });
  });

  it('when the password changes, then only the new password signs in, and each change bumps the version', async () => {
    const { cookie, user, credentials } = await signUp(context.app);
    await patch(cookie).send({ currentPassword: credentials.password, password: 'a brand new password' }).expect(200);
    await request(context.app).post('/api/users/signin').send(credentials).expect(400);
    const signedIn = await request(context.app)
      .post('/api/users/signin')
      .send({ email: credentials.email, password: 'a brand new password' })
      .expect(200);
    await patch(sessionCookie(signedIn))
      .send({ currentPassword: 'a brand new password', password: 'and another one' })
      .expect(200);

    const versions = (await recordedPayloads(context.database, 'user.updated'))
      .filter((payload) => (payload as { id: string }).id === user.id)
      .map((payload) => (payload as { version: number }).version);
    expect(versions).toEqual([1, 2]);
  });

  it('when the current password is wrong, then it answers 400 on that field and changes nothing', async () => {
    const { cookie, credentials } = await signUp(context.app);
    const response = await patch(cookie)
      .send({ currentPassword: 'not my password', password: 'hijacked password' })
      .expect(400);
    expect(response.body).toEqual({ errors: [{ message: 'Current password is incorrect', field: 'currentPassword' }] });
    await request(context.app).post('/api/users/signin').send(credentials).expect(200);
  });

  it('when the new email belongs to someone else, then it answers 409', async () => {
    const other = await signUp(context.app);
    const { cookie, credentials } = await signUp(context.app);
    const response = await patch(cookie)
      .send({ currentPassword: credentials.password, email: other.user.email })
      .expect(409);
    expect(response.body).toEqual({ errors: [{ message: 'Email in use', field: 'email' }] });
  });

  it.each([
    [{ email: 'new@example.com' }, { message: 'You must supply a password', field: 'currentPassword' }],
    [{ currentPassword: 'whatever1' }, { message: 'Provide a new email or a new password' }],
    [
      { currentPassword: 'whatever1', email: 'nope' },
      { message: 'Email must be valid', field: 'email' },
    ],
    [
      { currentPassword: 'whatever1', password: 'short' },
      { message: 'Password must be between 8 and 128 characters', field: 'password' },
    ],
  ])('when the body is %j, then it answers 400', async (body, error) => {
    const { cookie } = await signUp(context.app);
    const response = await patch(cookie).send(body).expect(400);
    expect(response.body).toEqual({ errors: [error] });
  });

  it('when the signed-in account no longer exists, then it answers 401', async () => {
    const { cookie, user, credentials } = await signUp(context.app);
    await context.database.pool.query('DELETE FROM users WHERE id = $1', [user.id]);
    await patch(cookie).send({ currentPassword: credentials.password, password: 'whatever12' }).expect(401);
  });
});

describe('PATCH /api/users/currentuser under a race', () => {
  const context = useAuthApp();

  it('when two users take the same new email at the same time, then one gets it and the other 409', async () => {
    const first = await signUp(context.app);
    const second = await signUp(context.app);
    const wanted = buildCredentials().email;
    const responses = await Promise.all(
      [first, second].map((user) =>
        request(context.app)
          .patch('/api/users/currentuser')
          .set('Cookie', user.cookie)
          .send({ currentPassword: user.credentials.password, email: wanted }),
      ),
    );
    expect(responses.map((response) => response.status).sort()).toEqual([200, 409]);
    expect(responses.find((response) => response.status === 409)?.body).toEqual({
      errors: [{ message: 'Email in use', field: 'email' }],
    });
  });
});
