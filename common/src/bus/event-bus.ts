import { randomUUID } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  StorageType,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import type { Logger } from 'pino';
import {
  eventSchemas,
  parseEnvelope,
  MalformedEventError,
  type EventData,
  type EventEnvelope,
  type Subject,
} from '../events';
import { RetryLaterError } from './retry-later-error';
import type { ServiceConfig } from '../config';

export interface EventBusOptions {
  /** NATS server URL(s), comma-separated. */
  servers: string;
  /** JetStream stream holding every subject under `subjectPrefix`. */
  stream: string;
  /** First token of every subject on the wire: `<prefix>.ticket.created`. */
  subjectPrefix: string;
  /** Shown in the server's connection list: who is connected. */
  connectionName: string;
  logger: Logger;
  /** Stream replicas: 1 on a laptop, 3 in production (DESIGN.md rule 7). */
  replicas?: number;
  /** How long to keep retrying the first connection before giving up. */
  connectTimeoutMs?: number;
}

export interface HandlerContext {
  deliveryCount: number;
  logger: Logger;
}

export interface ListenerDefinition<S extends Subject> {
  subject: S;
  /** Durable consumer name, saying who listens to what: `orders-ticket-updated`. */
  durable: string;
  /** Runs the effect. Resolve to ack; throw RetryLaterError to retry after a delay; throw anything else to retry with backoff. */
  handle(event: EventEnvelope<S>, context: HandlerContext): Promise<void>;
  /** Deliveries before a failing event goes to the dead-letter subject. */
  maxDeliveries?: number;
  /** How long a delivery may stay un-acked before JetStream redelivers it. */
  ackWaitMs?: number;
}

export interface PublishResult {
  id: string;
  /** JetStream already had this id inside its duplicate window and dropped the copy. */
  duplicate: boolean;
  sequence: number;
}

export interface RunningListener {
  durable: string;
  /** Stops pulling; resolves once the message in hand (if any) is settled. */
  stop(): Promise<void>;
}

const DEFAULT_MAX_DELIVERIES = 10;
const DEFAULT_ACK_WAIT_MS = 30_000;
const MAX_BACKOFF_MS = 30_000;
const STOP_GRACE_MS = 10_000;
const millisToNanos = (ms: number) => ms * 1_000_000;

/** A failing handler is retried sooner at first, then less often: 250 ms, 500 ms, 1 s … up to 30 s. */
export function backoffDelayMs(deliveryCount: number): number {
  return Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.max(0, deliveryCount - 1));
}

/**
 * Typed publish and durable pull-consumer listeners on NATS JetStream.
 *
 * Every message is an {@link EventEnvelope}; its `id` is the JetStream `msgID`, so JetStream drops a
 * re-publish of the same event inside the stream's duplicate window. Listeners ack explicitly and only
 * after the handler resolved (handlers commit before they resolve), nak with a delay to retry, term a
 * malformed payload at once, and move an event that keeps failing to `<prefix>.dead-letter.<durable>`.
 */
export class EventBus {
  private readonly listeners = new Set<RunningListener>();

  private constructor(
    readonly connection: NatsConnection,
    private readonly js: JetStreamClient,
    readonly manager: JetStreamManager,
    readonly options: EventBusOptions,
  ) {}

  /** Connects (retrying until `connectTimeoutMs`), and creates or updates the stream. */
  static async connect(options: EventBusOptions): Promise<EventBus> {
    const deadline = Date.now() + (options.connectTimeoutMs ?? 30_000);
    let connection: NatsConnection | undefined;
    for (let attempt = 1; !connection; attempt += 1) {
      try {
        connection = await connect({
          servers: options.servers.split(','),
          name: options.connectionName,
          // After the first connection, keep reconnecting for as long as the process lives.
          maxReconnectAttempts: -1,
        });
      } catch (error) {
        if (Date.now() >= deadline) throw error;
        options.logger.warn({ err: error, attempt, servers: options.servers }, 'NATS not reachable yet, retrying');
        await sleep(Math.min(2_000, 250 * attempt));
      }
    }
    const bus = new EventBus(connection, jetstream(connection), await jetstreamManager(connection), options);
    await bus.ensureStream();
    return bus;
  }

  /** Connects with a service's configuration (`NATS_URL`, `NATS_STREAM`, …). */
  static connectWithConfig(
    config: Pick<ServiceConfig, 'NATS_URL' | 'NATS_STREAM' | 'NATS_SUBJECT_PREFIX' | 'NATS_STREAM_REPLICAS'>,
    connectionName: string,
    logger: Logger,
  ): Promise<EventBus> {
    return EventBus.connect({
      servers: config.NATS_URL,
      stream: config.NATS_STREAM,
      subjectPrefix: config.NATS_SUBJECT_PREFIX,
      replicas: config.NATS_STREAM_REPLICAS,
      connectionName,
      logger,
    });
  }

  /** The subject on the wire for a catalog subject. */
  wireSubject(subject: Subject): string {
    return `${this.options.subjectPrefix}.${subject}`;
  }

  /** Where events go that a listener could not handle after its bounded deliveries. */
  deadLetterSubject(durable: string): string {
    return `${this.options.subjectPrefix}.dead-letter.${durable}`;
  }

  /** Creates the stream, or brings an existing one to this configuration. */
  async ensureStream(): Promise<void> {
    const config = {
      name: this.options.stream,
      subjects: [`${this.options.subjectPrefix}.>`],
      storage: StorageType.File,
      num_replicas: this.options.replicas ?? 1,
      // JetStream drops a second publish with the same msgID inside this window.
      duplicate_window: millisToNanos(2 * 60_000),
    };
    try {
      await this.manager.streams.info(config.name);
      await this.manager.streams.update(config.name, config);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      await this.manager.streams.add(config);
    }
  }

  /** Publishes a new event; `id` defaults to a fresh UUID. Resolves once JetStream has stored it. */
  async publish<S extends Subject>(
    subject: S,
    data: EventData<S>,
    options: { id?: string; occurredAt?: string } = {},
  ): Promise<PublishResult> {
    return this.publishEnvelope({
      id: options.id ?? randomUUID(),
      subject,
      occurredAt: options.occurredAt ?? new Date().toISOString(),
      // A wrong payload is a bug in the publisher: refuse it here rather than poison every listener.
      data: eventSchemas[subject].parse(data) as EventData<S>,
    });
  }

  /** Publishes an envelope as it is (the outbox relay re-publishes stored events with their ids). */
  async publishEnvelope<S extends Subject>(envelope: EventEnvelope<S>): Promise<PublishResult> {
    const ack = await this.js.publish(this.wireSubject(envelope.subject), JSON.stringify(envelope), {
      msgID: envelope.id,
    });
    return { id: envelope.id, duplicate: ack.duplicate, sequence: ack.seq };
  }

  /**
   * Binds a durable pull consumer and handles its messages one at a time, in order, until stopped.
   * Several processes binding the same durable share its messages (each goes to one of them).
   */
  async listen<S extends Subject>(definition: ListenerDefinition<S>): Promise<RunningListener> {
    const ackWaitMs = definition.ackWaitMs ?? DEFAULT_ACK_WAIT_MS;
    await this.ensureConsumer({
      durable_name: definition.durable,
      filter_subject: this.wireSubject(definition.subject),
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: millisToNanos(ackWaitMs),
      // Unbounded here on purpose: the listener itself moves an event to the dead-letter subject after
      // maxDeliveries, which JetStream's own max_deliver would instead drop silently.
      max_deliver: -1,
    });
    const consumer = await this.js.consumers.get(this.options.stream, definition.durable);
    // A small batch: messages waiting in the client's buffer are already running their ack timer.
    const messages = await consumer.consume({ max_messages: 16 });
    const done = this.handleMessages(definition, messages);
    const listener: RunningListener = {
      durable: definition.durable,
      stop: async () => {
        this.listeners.delete(listener);
        // Let the message in hand finish, but never let a stuck handler (or a dead connection) hold
        // shutdown forever: an un-acked message is redelivered anyway.
        const settled = messages.close().then(() => done);
        await Promise.race([settled, sleep(STOP_GRACE_MS, { unref: true })]);
      },
    };
    this.listeners.add(listener);
    return listener;
  }

  /** Reachable and not closing: what `/readyz` reports. */
  isConnected(): boolean {
    return !this.connection.isClosed() && !this.connection.isDraining();
  }

  /** Stops every listener (finishing the message in hand), then drains the connection. */
  async close(): Promise<void> {
    await Promise.all([...this.listeners].map((listener) => listener.stop()));
    if (!this.connection.isClosed()) await this.connection.drain();
  }

  private async ensureConsumer(config: Parameters<JetStreamManager['consumers']['add']>[1]): Promise<void> {
    const durable = config.durable_name as string;
    try {
      await this.manager.consumers.info(this.options.stream, durable);
      const { durable_name: _name, deliver_policy: _fixed, ...updatable } = config;
      await this.manager.consumers.update(this.options.stream, durable, updatable);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      try {
        await this.manager.consumers.add(this.options.stream, config);
      } catch (addError) {
        // Another instance created the same durable a moment earlier: that is the one we bind.
        await this.manager.consumers.info(this.options.stream, durable).catch(() => {
          throw addError;
        });
      }
    }
  }

  private async handleMessages<S extends Subject>(
    definition: ListenerDefinition<S>,
    messages: ConsumerMessages,
  ): Promise<void> {
    for await (const message of messages) {
      await this.handleMessage(definition, message);
    }
  }

  private async handleMessage<S extends Subject>(definition: ListenerDefinition<S>, message: JsMsg): Promise<void> {
    const deliveryCount = message.info.deliveryCount;
    const logger = this.options.logger.child({
      subject: definition.subject,
      durable: definition.durable,
      deliveryCount,
    });
    let event: EventEnvelope<S>;
    try {
      event = parseEnvelope(definition.subject, message.json());
    } catch (error) {
      // Retrying can never fix a payload that fails its schema: keep a copy, then term it.
      const reason = error instanceof MalformedEventError ? error.reason : 'payload is not JSON';
      logger.error({ reason, sequence: message.seq }, 'malformed event terminated');
      await this.deadLetter(definition.durable, message, reason, logger);
      message.term();
      return;
    }

    const eventLogger = logger.child({ eventId: event.id });
    try {
      await definition.handle(event, { deliveryCount, logger: eventLogger });
    } catch (error) {
      const maxDeliveries = definition.maxDeliveries ?? DEFAULT_MAX_DELIVERIES;
      if (deliveryCount >= maxDeliveries) {
        eventLogger.error({ err: error }, 'event failed on its last delivery, moved to the dead-letter subject');
        await this.deadLetter(definition.durable, message, describe(error), eventLogger);
        message.term();
        return;
      }
      if (error instanceof RetryLaterError) {
        eventLogger.info({ reason: error.reason, retryInMs: error.delayMs }, 'event not applicable yet, retrying');
        message.nak(error.delayMs);
      } else {
        const retryInMs = backoffDelayMs(deliveryCount);
        eventLogger.warn({ err: error, retryInMs }, 'event handler failed, retrying');
        message.nak(retryInMs);
      }
      return;
    }

    try {
      await message.ackAck();
      eventLogger.info('event handled');
    } catch (error) {
      // The effect is committed; a redelivery finds it in the inbox and changes nothing.
      eventLogger.warn({ err: error }, 'ack not confirmed; a redelivery will be ignored by the inbox');
    }
  }

  private async deadLetter(durable: string, message: JsMsg, reason: string, logger: Logger): Promise<void> {
    try {
      await this.js.publish(
        this.deadLetterSubject(durable),
        JSON.stringify({
          durable,
          subject: message.subject,
          streamSequence: message.seq,
          deliveryCount: message.info.deliveryCount,
          reason,
          payload: message.string(),
          deadAt: new Date().toISOString(),
        }),
        // One dead letter per stored message, however often this runs.
        { msgID: `dead-letter:${durable}:${message.seq}` },
      );
    } catch (error) {
      logger.error({ err: error }, 'could not publish to the dead-letter subject');
    }
  }
}

function isNotFound(error: unknown): boolean {
  return error instanceof JetStreamApiError && error.status === 404;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function sleep(ms: number, { unref = false } = {}): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    // An unref'd timer does not keep a stopping process alive.
    if (unref) timer.unref();
  });
}
