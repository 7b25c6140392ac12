import { apiBaseUrl, isApiProxyEnabled } from '@/lib/config';
import { UNAVAILABLE_MESSAGE } from '@/lib/envelope';

/**
 * Dev convenience, off unless CLIENT_PROXY_API=1: forwards the browser's same-origin `/api/*` calls to API_URL
 * so the client can be used on its own port. In production the edge (ingress or local gateway) routes `/api`
 * to the services and this handler is never reached. It is a route handler rather than a next.config rewrite
 * because rewrites are frozen into the standalone build, while this reads the flag at run time.
 */

const FORWARDED_REQUEST_HEADERS = [
  'accept',
  'content-type',
  'cookie',
  'last-event-id',
  'user-agent',
  'x-forwarded-for',
];
const RETURNED_RESPONSE_HEADERS = [
  'content-type',
  'link',
  'location',
  'retry-after',
  'cache-control',
  'x-accel-buffering',
];

function envelope(status: number, message: string): Response {
  return Response.json({ errors: [{ message }] }, { status });
}

async function forward(request: Request): Promise<Response> {
  if (!isApiProxyEnabled()) return envelope(404, 'Not found');

  const url = new URL(request.url);
  const target = new URL(url.pathname + url.search, apiBaseUrl());
  const headers = new Headers();
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = request.headers.get(name);
    if (value) headers.set(name, value);
  }
  // Keep the browser's host so the API's cookies and links are written for the origin the browser sees.
  headers.set('x-forwarded-host', url.host);
  headers.set('x-forwarded-proto', url.protocol.replace(':', ''));

  let upstream: Response;
  try {
    const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
    upstream = await fetch(target, {
      method: request.method,
      headers,
      body: hasBody ? await request.arrayBuffer() : undefined,
      redirect: 'manual',
      cache: 'no-store',
      // A live update's stream ends when the browser leaves.
      signal: request.signal,
    });
  } catch {
    return envelope(502, UNAVAILABLE_MESSAGE);
  }

  const responseHeaders = new Headers();
  for (const name of RETURNED_RESPONSE_HEADERS) {
    const value = upstream.headers.get(name);
    if (value) responseHeaders.set(name, value);
  }
  for (const cookie of upstream.headers.getSetCookie()) responseHeaders.append('set-cookie', cookie);
  // A stream of live updates passes through as it comes; everything else is read whole.
  if (upstream.headers.get('content-type')?.startsWith('text/event-stream')) {
    return new Response(upstream.body, { status: upstream.status, headers: responseHeaders });
  }
  const bodyless = upstream.status === 204 || upstream.status === 304 || request.method === 'HEAD';
  return new Response(bodyless ? null : await upstream.arrayBuffer(), {
    status: upstream.status,
    headers: responseHeaders,
  });
}

export const dynamic = 'force-dynamic';
export const GET = forward;
export const POST = forward;
export const PUT = forward;
export const PATCH = forward;
export const DELETE = forward;
export const HEAD = forward;
