import { connect, type NatsConnection } from '@nats-io/transport-node';
import { JetStreamApiError, StorageType, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import type { Logger } from 'pino';

/** What the connection and the stream are made from (the part of the bus's options they read). */
export interface ConnectionOptions {
  /** NATS server URL(s), comma-separated. */
  servers: string;
  /** Shown in the server's connection list: who is connected. */
  connectionName: string;
  logger: Logger;
  /** How long to keep retrying the first connection before giving up. */
  connectTimeoutMs?: number;
}

export interface StreamOptions {
  /** JetStream stream holding every subject under `subjectPrefix`. */
  stream: string;
  subjectPrefix: string;
  /** Stream replicas: 1 on a laptop, 3 in production (docs/rules.md#rule-7). */
  replicas?: number;
}

export const millisToNanos = (ms: number) => ms * 1_000_000;

/**
 * Connects to the NATS servers, retrying the first connection until `connectTimeoutMs` (30 s by default);
 * after it, the client reconnects (to any server of the list) for as long as the process lives, and each
 * disconnect and reconnect is logged.
 */
export async function connectToNats(options: ConnectionOptions): Promise<NatsConnection> {
  const deadline = Date.now() + (options.connectTimeoutMs ?? 30_000);
  for (let attempt = 1; ; attempt += 1) {
    try {
      const connection = await connect({
        servers: options.servers.split(','),
        name: options.connectionName,
        // After the first connection, keep reconnecting for as long as the process lives.
        maxReconnectAttempts: -1,
      });
      void logStatusChanges(connection, options.logger);
      return connection;
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      options.logger.warn({ err: error, attempt, servers: options.servers }, 'NATS not reachable yet, retrying');
      await sleep(Math.min(2_000, 250 * attempt));
    }
  }
}

/** Reachable and not closing: what `/readyz` reports. */
export function isConnected(connection: NatsConnection): boolean {
  return !connection.isClosed() && !connection.isDraining();
}

/** Drains the connection (what was published is flushed, subscriptions end), unless it is closed already. */
export async function drainConnection(connection: NatsConnection): Promise<void> {
  if (!connection.isClosed()) await connection.drain();
}

/** The stream's configuration: every subject under the prefix, on disk, deduplicated by `msgID`. */
export function streamConfig(options: StreamOptions) {
  return {
    name: options.stream,
    subjects: [`${options.subjectPrefix}.>`],
    storage: StorageType.File,
    num_replicas: options.replicas ?? 1,
    // JetStream drops a second publish with the same msgID inside this window.
    duplicate_window: millisToNanos(2 * 60_000),
  } satisfies Partial<StreamConfig>;
}

/** Creates the stream, or brings an existing one to this configuration. */
export async function ensureStream(
  streams: JetStreamManager['streams'],
  config: ReturnType<typeof streamConfig>,
): Promise<void> {
  try {
    await streams.info(config.name);
    await streams.update(config.name, config);
  } catch (error) {
    if (!isNotFound(error)) throw error;
    await streams.add(config);
  }
}

export function isNotFound(error: unknown): boolean {
  return error instanceof JetStreamApiError && error.status === 404;
}

/** Logs the connection's disconnects and reconnects (which server), until it closes. */
async function logStatusChanges(connection: NatsConnection, logger: Logger): Promise<void> {
  for await (const status of connection.status()) {
    if (status.type === 'disconnect') logger.warn({ server: status.server }, 'NATS connection lost, reconnecting');
    else if (status.type === 'reconnect') logger.info({ server: status.server }, 'NATS connection back');
  }
}

export function sleep(ms: number, { unref = false } = {}): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    // An unref'd timer does not keep a stopping process alive.
    if (unref) timer.unref();
  });
}
