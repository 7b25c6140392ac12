import * as net from 'node:net';
import * as os from 'node:os';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { listenHttp, loadConfig, serviceEnvironment } from '../src';

/** An address of this machine other than loopback (its LAN or container address), if it has one. */
function nonLoopbackAddress(): string | undefined {
  const addresses = Object.values(os.networkInterfaces()).flatMap((entries) => entries ?? []);
  return addresses.find((entry) => !entry.internal && entry.family === 'IPv4')?.address;
}

/** Whether a TCP connection to `host`:`port` is accepted. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(5_000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

/** A service's config with what every service requires, and `env`: without it, HOST as a laptop gets it. */
const configWith = (env: NodeJS.ProcessEnv = {}) =>
  loadConfig(serviceEnvironment(3999), {
    DATABASE_URL: 'postgres://127.0.0.1/service',
    NATS_URL: 'nats://127.0.0.1:4222',
    ...env,
  });

describe('where a service listens', () => {
  it("when HOST is unset, then it listens on 127.0.0.1 only: the machine's other addresses do not reach it", async () => {
    const config = configWith();
    expect(config.HOST).toBe('127.0.0.1');
    const app = express().get('/metrics', (_req, res) => res.send('ok'));
    server = await listenHttp(app, { host: config.HOST, port: 0 });
    const { address, port } = server.address() as AddressInfo;

    expect(address).toBe('127.0.0.1');
    expect(await accepts('127.0.0.1', port)).toBe(true);
    const elsewhere = nonLoopbackAddress();
    // A machine without any other address has nothing else to reach it through: the bound address says it all.
    if (elsewhere !== undefined) expect([elsewhere, await accepts(elsewhere, port)]).toEqual([elsewhere, false]);
  });

  it('when HOST is 0.0.0.0 (a pod), then every address of the machine reaches it', async () => {
    const config = configWith({ HOST: '0.0.0.0' });
    server = await listenHttp(express(), { host: config.HOST, port: 0 });
    const { port } = server.address() as AddressInfo;
    expect(await accepts('127.0.0.1', port)).toBe(true);
    const elsewhere = nonLoopbackAddress();
    if (elsewhere !== undefined) expect([elsewhere, await accepts(elsewhere, port)]).toEqual([elsewhere, true]);
  });
});
