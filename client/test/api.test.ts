// The server-side API helper with Next's request scope replaced: the visitor's request headers as the edge
// passed them to the web app, and a fetch that records what the helper sends to the services.
const visitorRequest = new Headers();
const keptCookies: Array<{ name: string; value: string; options: unknown }> = [];

jest.mock('next/headers', () => ({
  headers: async () => visitorRequest,
  cookies: async () => ({
    set: (name: string, value: string, options: unknown) => keptCookies.push({ name, value, options }),
  }),
}));

import { api, publicApi } from '@/lib/api';

const sent: Request[] = [];
const configured = { API_URL: process.env.API_URL, AUTH_API_URL: process.env.AUTH_API_URL };

beforeEach(() => {
  // As in the cluster: the edge's in-cluster Service, and auth's own.
  process.env.API_URL = 'http://edge.internal';
  process.env.AUTH_API_URL = 'http://auth:3001';
  sent.length = 0;
  keptCookies.length = 0;
  for (const name of [...visitorRequest.keys()]) visitorRequest.delete(name);
  jest.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    sent.push(new Request(input as URL, init));
    return new Response(JSON.stringify({ id: 'u1', email: 'a@example.com' }), {
      status: 200,
      headers: { 'content-type': 'application/json', 'set-cookie': 'session=abc; path=/; secure; httponly' },
    });
  });
});
afterEach(() => {
  jest.restoreAllMocks();
  for (const [name, value] of Object.entries(configured)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

describe('the web app calling the services for a visitor', () => {
  it('when the edge said the visitor came over https, then the services are told so (their Secure cookie is written)', async () => {
    visitorRequest.set('x-forwarded-proto', 'https');

    const result = await api('/api/users/signin', { method: 'POST', body: { email: 'a@example.com', password: 'x' } });

    expect(result.ok).toBe(true);
    expect(sent[0]?.headers.get('x-forwarded-proto')).toBe('https');
    expect(keptCookies).toEqual([expect.objectContaining({ name: 'session', value: 'abc' })]);
  });

  it('when the edge appended its word to what the visitor claimed, then only the edge’s word is passed on', async () => {
    visitorRequest.set('x-forwarded-proto', 'https, http');

    await api('/api/users/currentuser');

    expect(sent[0]?.headers.get('x-forwarded-proto')).toBe('http');
  });

  it('when no edge stated a scheme, then none is claimed', async () => {
    await api('/api/users/currentuser');

    expect(sent[0]?.headers.has('x-forwarded-proto')).toBe(false);
  });
});

describe('where the web app sends a call', () => {
  it('a call on the visitor’s session (/api/users/…) goes to auth itself (AUTH_API_URL): no second proxy restates the edge’s word', async () => {
    await api('/api/users/signin', { method: 'POST', body: { email: 'a@example.com', password: 'x' } });
    await api('/api/users/currentuser');

    expect(sent.map((request) => request.url)).toEqual([
      'http://auth:3001/api/users/signin',
      'http://auth:3001/api/users/currentuser',
    ]);
  });

  it('every other call goes to the edge (API_URL), whose micro-cache stands between page renders and the services', async () => {
    await api('/api/orders');
    await publicApi('/api/tickets?limit=20');
    await api('/api/usersettings');

    expect(sent.map((request) => request.url)).toEqual([
      'http://edge.internal/api/orders',
      'http://edge.internal/api/tickets?limit=20',
      'http://edge.internal/api/usersettings',
    ]);
  });

  it('without AUTH_API_URL, calls on the session go to the edge too', async () => {
    delete process.env.AUTH_API_URL;

    await api('/api/users/currentuser');

    expect(sent[0]?.url).toBe('http://edge.internal/api/users/currentuser');
  });
});

describe('the visitor’s address, for the services’ per-address limits', () => {
  it('when the edge said where the visitor came from, then the services are told that address', async () => {
    visitorRequest.set('x-forwarded-for', '203.0.113.7');

    await api('/api/users/signin', { method: 'POST', body: { email: 'a@example.com', password: 'x' } });

    expect(sent[0]?.headers.get('x-forwarded-for')).toBe('203.0.113.7');
  });

  it('when the visitor wrote addresses of their own before the edge’s, then only the edge’s entry is passed on', async () => {
    visitorRequest.set('x-forwarded-for', '198.51.100.1, 10.0.0.9,2001:db8::5');

    await api('/api/users/signup', { method: 'POST', body: { email: 'a@example.com', password: 'x' } });

    expect(sent[0]?.headers.get('x-forwarded-for')).toBe('2001:db8::5');
  });

  it('when the edge’s entry is not an address, or there is none, then no address is claimed', async () => {
    visitorRequest.set('x-forwarded-for', '203.0.113.7, unknown');
    await api('/api/users/currentuser');
    visitorRequest.delete('x-forwarded-for');
    await api('/api/users/currentuser');

    expect(sent.map((request) => request.headers.has('x-forwarded-for'))).toEqual([false, false]);
  });

  it('a public read claims nothing about who is looking', async () => {
    visitorRequest.set('x-forwarded-for', '203.0.113.7');

    await publicApi('/api/tickets');

    expect(sent[0]?.headers.has('x-forwarded-for')).toBe(false);
  });
});
