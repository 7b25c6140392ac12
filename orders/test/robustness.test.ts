import request from 'supertest';
import { signIn, useOrdersApp } from './helpers';

const context = useOrdersApp();

describe('orders under bad input', () => {
  it('when the body is 1 MB, then it answers 413 with the envelope and keeps answering', async () => {
    const { cookie } = signIn();
    const response = await request(context.app)
      .post('/api/orders')
      .set('Cookie', cookie)
      .send({ ticketId: 'x'.repeat(1024 * 1024) })
      .expect(413);
    expect(response.body).toEqual({ errors: [{ message: 'Request body is too large' }] });
    await request(context.app).get('/api/orders').set('Cookie', cookie).expect(200);
  });

  it('when the session cookie is forged, then the caller is not signed in', async () => {
    const response = await request(context.app).get('/api/orders').set('Cookie', 'session=%%%not-base64').expect(401);
    expect(response.body).toEqual({ errors: [{ message: 'Not signed in' }] });
  });

  it('when a route does not exist, then it answers 404 with the envelope', async () => {
    const response = await request(context.app).get('/api/orders-nothing-here').expect(404);
    expect(response.body).toEqual({ errors: [{ message: 'Not found' }] });
  });

  it('when probed, then /healthz is alive and /readyz reports the database', async () => {
    await request(context.app).get('/healthz').expect(200, { status: 'ok' });
    await request(context.app)
      .get('/readyz')
      .expect(200, { status: 'ready', checks: { database: true } });
  });
});
