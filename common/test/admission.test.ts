import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { admissionControl, leaveAdmission, type AdmissionOptions } from '../src';
import { createTestLogger } from '../src/testing';

/**
 * A server whose `/work/:name` requests each wait until the test lets them finish, behind admission control:
 * what started, in which order, and the handle to finish each.
 */
async function startServer(options: Omit<AdmissionOptions, 'logger'>) {
  const started: string[] = [];
  const finishers = new Map<string, () => void>();
  const app = express();
  app.use(admissionControl({ ...options, logger: createTestLogger() }));
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  // A long-lived answer (an event stream): it gives its slot back once its headers are out.
  app.get('/stream', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('open\n');
    leaveAdmission(res);
    leaveAdmission(res);
  });
  app.get('/work/:name', (req, res) => {
    const name = String(req.params.name);
    started.push(name);
    finishers.set(name, () => res.json({ done: name }));
  });
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const waitUntilStarted = async (name: string) => {
    while (!finishers.has(name)) await new Promise((resolve) => setTimeout(resolve, 5));
  };
  return {
    base,
    started,
    /** Sends a request and resolves once the server has it (queued or started). */
    get: (path: string, init: RequestInit = {}) => fetch(`${base}${path}`, init),
    finish: async (name: string) => {
      await waitUntilStarted(name);
      finishers.get(name)?.();
    },
    waitUntilStarted,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

type TestServer = Awaited<ReturnType<typeof startServer>>;

describe('admissionControl', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('when more requests arrive than may run at once, then the rest wait and start in arrival order as others finish', async () => {
    server = await startServer({ maxInFlight: 1, queueTimeoutMs: 10_000 });
    const first = server.get('/work/a');
    await server.waitUntilStarted('a');
    const second = server.get('/work/b');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const third = server.get('/work/c');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.started).toEqual(['a']);

    await server.finish('a');
    await server.finish('b');
    await server.finish('c');

    expect(await Promise.all([first, second, third].map(async (answer) => (await answer).status))).toEqual([
      200, 200, 200,
    ]);
    expect(server.started).toEqual(['a', 'b', 'c']);
  });

  it('when a request has waited its longest, then it is answered 503 with Retry-After and the envelope, and never worked on', async () => {
    server = await startServer({ maxInFlight: 1, queueTimeoutMs: 100 });
    const first = server.get('/work/a');
    await server.waitUntilStarted('a');

    const refused = await server.get('/work/b');

    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toEqual({
      errors: [{ message: 'The service is busy; please try again in a moment' }],
    });
    await server.finish('a');
    expect((await first).status).toBe(200);
    expect(server.started).toEqual(['a']);
  });

  it('when the queue is longer than the service can serve in time at its recent pace, then a newcomer is refused on arrival', async () => {
    let now = 0;
    const clock = () => now;
    server = await startServer({ maxInFlight: 1, queueTimeoutMs: 10_000, now: clock });
    // One request finishing 3 s after the window opened: a pace of one per 3 s.
    const paced = server.get('/work/paced');
    now = 3_000;
    await server.finish('paced');
    await paced;

    const running = server.get('/work/running');
    await server.waitUntilStarted('running');
    // Four wait (the last behind three: 9 s, within the 10 s budget)…
    const queued = ['q1', 'q2', 'q3'].map((name) => server!.get(`/work/${name}`));
    const q4 = server.get('/work/q4');
    await new Promise((resolve) => setTimeout(resolve, 50));
    // …and a fifth would wait behind four, 12 s: refused on arrival, though no timer has run out.
    const refused = await server.get('/work/late');

    expect(refused.status).toBe(503);
    for (const name of ['running', 'q1', 'q2', 'q3', 'q4']) await server.finish(name);
    expect(await Promise.all([running, ...queued, q4].map(async (answer) => (await answer).status))).toEqual([
      200, 200, 200, 200, 200,
    ]);
    expect(server.started).not.toContain('late');
  });

  it('when the service is full, then the probes still answer at once', async () => {
    server = await startServer({ maxInFlight: 1, queueTimeoutMs: 10_000 });
    const first = server.get('/work/a');
    await server.waitUntilStarted('a');

    expect((await server.get('/healthz')).status).toBe(200);

    await server.finish('a');
    await first;
  });

  it('when a client gives up while its request waits, then the request is never worked on', async () => {
    server = await startServer({ maxInFlight: 1, queueTimeoutMs: 10_000 });
    const first = server.get('/work/a');
    await server.waitUntilStarted('a');
    const abandon = new AbortController();
    const gone = server.get('/work/gone', { signal: abandon.signal }).catch(() => 'aborted');
    await new Promise((resolve) => setTimeout(resolve, 50));
    abandon.abort();
    expect(await gone).toBe('aborted');
    await new Promise((resolve) => setTimeout(resolve, 50));

    await server.finish('a');
    await first;
    const next = server.get('/work/next');
    await server.finish('next');

    expect((await next).status).toBe(200);
    expect(server.started).toEqual(['a', 'next']);
  });

  it('when a long-lived answer has left admission, then it no longer counts as work in flight, once only', async () => {
    server = await startServer({ maxInFlight: 1, queueTimeoutMs: 10_000 });
    const abandon = new AbortController();
    const stream = await server.get('/stream', { signal: abandon.signal });
    expect(stream.status).toBe(200);

    const first = server.get('/work/a');
    await server.waitUntilStarted('a');
    // Closing the stream must not give back a slot it gave back already: b waits for a.
    abandon.abort();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const second = server.get('/work/b');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.started).toEqual(['a']);

    await server.finish('a');
    await server.finish('b');
    expect((await first).status).toBe(200);
    expect((await second).status).toBe(200);
  });
});
