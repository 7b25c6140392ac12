import { randomBytes } from 'node:crypto';
import { connect, createServer } from 'node:net';
import express from 'express';
import { defineService, loadConfig, serviceEnvironment, startService } from '../src';
import { createTestBus, natsUrl, waitFor } from '../src/testing';

/** A port nothing listens on now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

/** Whether a TCP connection to 127.0.0.1:`port` is accepted. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const prefix = `test_${randomBytes(5).toString('hex')}`;
/** What the declared parts saw happen, in order. */
const happened: string[] = [];
const signalListeners = { SIGTERM: process.listeners('SIGTERM'), SIGINT: process.listeners('SIGINT') };

afterAll(async () => {
  // startService listens for the signals of a real process; the test's are its own.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    for (const listener of process.listeners(signal)) {
      if (!signalListeners[signal].includes(listener)) process.off(signal, listener);
    }
  }
  jest.restoreAllMocks();
  // The stream the service's bus created, under this file's prefix.
  await (await createTestBus({ prefix })).destroy();
});

describe('startService', () => {
  it('when a declared service starts and is told to stop, then its parts start in the core order and stop in reverse', async () => {
    const exited = new Promise<number | undefined>((resolve) => {
      jest.spyOn(process, 'exit').mockImplementation(((code?: number) => resolve(code)) as typeof process.exit);
    });
    const port = await freePort();
    const service = defineService({
      name: 'sample',
      loadConfig: () =>
        loadConfig(serviceEnvironment(3999).omit({ DATABASE_URL: true, DATABASE_POOL_SIZE: true }), {
          NATS_URL: natsUrl(),
          NATS_STREAM: prefix.toUpperCase(),
          NATS_SUBJECT_PREFIX: prefix,
          PORT: String(port),
          LOG_LEVEL: 'silent',
        }),
      connect: async (core, lifecycle) => {
        happened.push(`connect (bus connected: ${core.bus.isConnected()})`);
        lifecycle.onStop('connection', async () => void happened.push('stop connection'));
        return { connection: 'open' };
      },
      processState: ({ connection }) => {
        happened.push(`process state (connection ${connection})`);
        return { memory: new Map<string, number>() };
      },
      readinessChecks: () => ({ sample: async () => true }),
      jobs: () => {
        happened.push('jobs');
        return { job: { stop: () => void happened.push('stop job') } };
      },
      liveFeeds: () => {
        happened.push('live feeds');
        // Stopped while the server still runs: open streams would hold its close() for ever.
        return { feed: { stop: async () => void happened.push(`stop feed (http open: ${await accepts(port)})`) } };
      },
      app: ({ memory, readiness }) => {
        happened.push(`app (memory ${memory.size})`);
        return express().get('/readyz', async (_req, res) => void res.json(await readiness()));
      },
    });

    void startService(service);
    const ready = await waitFor(async () => {
      const response = await fetch(`http://127.0.0.1:${port}/readyz`);
      return (await response.json()) as { checks: Record<string, boolean> };
    });
    expect(ready.checks).toEqual({ bus: true, sample: true });

    process.emit('SIGTERM', 'SIGTERM');

    expect(await exited).toBe(0);
    expect(happened).toEqual([
      'connect (bus connected: true)',
      'process state (connection open)',
      'jobs',
      'live feeds',
      'app (memory 0)',
      'stop feed (http open: true)',
      'stop job',
      'stop connection',
    ]);
    await expect(fetch(`http://127.0.0.1:${port}/readyz`)).rejects.toThrow();
  });
});
