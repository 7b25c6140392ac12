import { connect, errors, type NatsConnection } from '@nats-io/transport-node';
import {
  JetStreamApiError,
  jetstreamManager,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import type { Logger } from 'pino';
import { retryDelayMs } from './retry-policy';

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

/** How often {@link ensureStream} asks the JetStream API before giving up, and how long it waits between. */
export interface EnsureStreamRetry {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * Five attempts, 0.5 s doubling to 4 s between them: with the API's own 5 s timeout per attempt, a stream
 * that a fresh cluster takes up to ~30 s to place is still made, and a cluster that never answers fails the
 * start within a minute.
 */
export const DEFAULT_ENSURE_STREAM_RETRY: EnsureStreamRetry = Object.freeze({
  attempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 4_000,
});

/** JetStream's "stream name already in use" (with another configuration, or still being created). */
const STREAM_NAME_IN_USE = 10058;

export const millisToNanos = (ms: number) => ms * 1_000_000;

/** How often the client pings its server; two pings unanswered and it reconnects to another server. */
export const NATS_PING_INTERVAL_MS = 5_000;

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
        // A server that stops answering without closing the connection (paused, its host frozen, a network
        // partition) is only noticed by pings: two unanswered at 5 s apart and the client moves to another
        // server of the list, instead of the library's 2 minutes, during which every publish times out. Costs one
        // PING/PONG per 5 s per connection.
        pingInterval: NATS_PING_INTERVAL_MS,
        maxPingOut: 2,
        // No stack captured ahead of every request (each JetStream publish is one): two of the three Error
        // objects nats.js builds a publish, 2 % of tickets' CPU in an expiry's profile. A failed request still
        // says what failed, without the caller's frames.
        noAsyncTraces: true,
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

/**
 * The JetStream manager of a connection. Getting it asks the account's JetStream info, which a cluster that is
 * electing its meta leader (a node just killed, or paused and resumed) answers "temporarily unavailable" for a
 * few seconds: asked again with the stream's backoff, so a service starting then is not failed for it.
 */
export async function connectJetStream(
  connection: NatsConnection,
  logger: Logger,
  retry: EnsureStreamRetry = DEFAULT_ENSURE_STREAM_RETRY,
): Promise<JetStreamManager> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await jetstreamManager(connection);
    } catch (error) {
      if (!isTransientApiError(error) || attempt >= retry.attempts) throw error;
      const retryInMs = retryDelayMs(attempt, retry.baseDelayMs, retry.maxDelayMs);
      logger.warn({ err: error, attempt, retryInMs }, 'JetStream not available yet, retrying');
      await sleep(retryInMs);
    }
  }
}

/**
 * Creates the stream, or brings an existing one to this configuration. Several services start at once and
 * each ensures the stream: on a fresh cluster, placing a 3-replica stream can outlast the JetStream API's
 * 5 s timeout, and a service asking while another's create is under way is told the name is in use. So a
 * timeout (or a cluster with no JetStream leader yet) is asked again with backoff, within `retry.attempts`;
 * "already in use" is success when the stream found has this configuration, else it is updated to it.
 */
export async function ensureStream(
  streams: JetStreamManager['streams'],
  config: ReturnType<typeof streamConfig>,
  logger: Logger,
  retry: EnsureStreamRetry = DEFAULT_ENSURE_STREAM_RETRY,
): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await createOrUpdateStream(streams, config);
      return;
    } catch (error) {
      if (isNameInUse(error) && (await hasConfig(streams, config))) return;
      if (!(isNameInUse(error) || isTransientApiError(error)) || attempt >= retry.attempts) throw error;
      const retryInMs = retryDelayMs(attempt, retry.baseDelayMs, retry.maxDelayMs);
      logger.warn({ err: error, stream: config.name, attempt, retryInMs }, 'could not ensure the stream yet, retrying');
      await sleep(retryInMs);
    }
  }
}

async function createOrUpdateStream(
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

/** The stream exists with the subjects, storage, replicas and duplicate window asked for. */
async function hasConfig(
  streams: JetStreamManager['streams'],
  config: ReturnType<typeof streamConfig>,
): Promise<boolean> {
  const found = await streams.info(config.name).then(
    (info) => info.config,
    () => undefined,
  );
  return (
    found !== undefined &&
    found.subjects.join(',') === config.subjects.join(',') &&
    found.storage === config.storage &&
    found.num_replicas === config.num_replicas &&
    found.duplicate_window === config.duplicate_window
  );
}

/**
 * A JetStream API request that may succeed if asked again: it timed out, nobody answered (no JetStream
 * leader yet), or the cluster said it is temporarily unavailable (503).
 */
export function isTransientApiError(error: unknown): boolean {
  if (error instanceof errors.TimeoutError) return true;
  if (error instanceof errors.RequestError) return error.isNoResponders() || error.cause instanceof errors.TimeoutError;
  return error instanceof JetStreamApiError && error.status === 503;
}

function isNameInUse(error: unknown): boolean {
  return error instanceof JetStreamApiError && error.code === STREAM_NAME_IN_USE;
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
