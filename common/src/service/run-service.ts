import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { Logger } from 'pino';

/** Longest a graceful shutdown may take before the process exits anyway (Kubernetes' default grace is 30 s). */
const SHUTDOWN_GRACE_MS = 20_000;

/** Registers what a starting service opened, to be closed in reverse order on shutdown. */
export interface ServiceLifecycle {
  /** Closes `resource` on shutdown (last registered, first closed). */
  onStop(name: string, stop: () => Promise<void>): void;
  /** Listens on `host`:`port` (HOST, PORT); on shutdown stops accepting and waits for requests in flight. */
  listen(app: Express, address: ListenAddress): Promise<Server>;
}

/** Where a service listens: its config's HOST and PORT. */
export interface ListenAddress {
  /** 127.0.0.1 on a laptop (loopback only); 0.0.0.0 in a pod. */
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
}

/**
 * Listens on `host`:`port` with the timeouts every service needs, and resolves once it does. Only `host`
 * answers: on 127.0.0.1, nothing from another machine reaches the service.
 */
export function listenHttp(app: Express, { host, port }: ListenAddress): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (error?: Error) => (error ? reject(error) : resolve(server)));
    // Longer than the proxies' idle timeouts (ingress-nginx keeps upstream sockets 60 s, the local
    // gateway drops them before this hint runs out): the proxy, never the service, closes an idle socket,
    // so a request is never sent on a socket the service is closing (ECONNRESET, a 502).
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
  });
}

/**
 * Runs a service: `start` connects, migrates, starts listeners and listens, registering each part with
 * the lifecycle. SIGTERM or SIGINT closes the parts in reverse order and exits 0; a failed start closes
 * what opened, logs why and exits 1. Only a failed start ends the process.
 */
export async function runService(logger: Logger, start: (lifecycle: ServiceLifecycle) => Promise<void>): Promise<void> {
  const stops: { name: string; stop: () => Promise<void> }[] = [];
  let stopping: Promise<void> | undefined;

  const stopAll = () =>
    (stopping ??= (async () => {
      for (const { name, stop } of stops.reverse()) {
        try {
          await stop();
          logger.info({ part: name }, 'stopped');
        } catch (error) {
          logger.error({ err: error, part: name }, 'failed to stop cleanly');
        }
      }
    })());

  const lifecycle: ServiceLifecycle = {
    onStop(name, stop) {
      stops.push({ name, stop });
    },
    async listen(app, address) {
      const server = await listenHttp(app, address);
      logger.info({ host: address.host, port: (server.address() as AddressInfo).port }, 'listening');
      stops.push({
        name: 'http',
        stop: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            // Keep-alive sockets would hold close() open until their timeout.
            server.closeIdleConnections();
          }),
      });
      return server;
    },
  };

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: exiting without waiting');
        process.exit(1);
      }
      logger.info({ signal }, 'shutting down');
      // Kubernetes sends SIGKILL after its grace period anyway; exit on our own terms a little before.
      setTimeout(() => {
        logger.error({ graceMs: SHUTDOWN_GRACE_MS }, 'shutdown took too long: exiting');
        process.exit(1);
      }, SHUTDOWN_GRACE_MS).unref();
      void stopAll().then(() => process.exit(0));
    });
  }

  try {
    await start(lifecycle);
    logger.info('ready');
  } catch (error) {
    logger.fatal({ err: error }, 'failed to start');
    await stopAll();
    process.exit(1);
  }
}
