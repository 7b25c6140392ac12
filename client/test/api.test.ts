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

import { api } from '@/lib/api';

const sent: Request[] = [];

beforeEach(() => {
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
afterEach(() => jest.restoreAllMocks());

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
