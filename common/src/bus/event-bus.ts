import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream, type JetStreamManager } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import type { EventData, EventEnvelope, Subject } from '../events';
import type { ServiceConfig } from '../config';
import {
  connectJetStream,
  connectToNats,
  drainConnection,
  ensureStream,
  isConnected,
  streamConfig,
  type ConnectionOptions,
  type StreamOptions,
} from './connection';
import { Consumers, type ListenerDefinition, type ListenOptions, type RunningListener } from './consumer';
import type { PausedConsumer } from './consumer-pause';
import { Publisher, type PublishEnvelopeOptions, type PublishResult } from './publisher';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-policy';
import type { HeldEvent } from './retry-tracker';
import { WireSubjects } from './wire-subjects';

export interface EventBusOptions extends ConnectionOptions, StreamOptions {
  /** How failing events are retried; every listener on this bus shares it. */
  retry?: Partial<RetryPolicy>;
  /**
   * Most events one listener handles at once when it names an {@link ListenerDefinition.orderingKey}
   * (a listener without one handles one at a time). Defaults to {@link DEFAULT_LISTENER_CONCURRENCY}.
   */
  listenerConcurrency?: number;
}

/**
 * Events a listener with an ordering key handles at once by default: enough that a burst (a thousand
 * reservations expiring in the same second) is not handled one database round trip after another, few
 * enough that a service's listeners leave most of its connection pool to its requests.
 */
export const DEFAULT_LISTENER_CONCURRENCY = 8;

/**
 * Typed publish and durable pull-consumer listeners on NATS JetStream: the one handle a service holds.
 * It puts together the parts, each in its own file:
 * - connection.ts: the connection to the NATS servers, the stream made or brought to its configuration,
 *   reconnects, drain;
 * - publisher.ts: every message an {@link EventEnvelope} whose `id` is the JetStream `msgID` (a re-publish
 *   inside the duplicate window is dropped), a new event's payload checked against the catalog;
 * - consumer.ts and delivery-handler.ts: durable pull consumers, ordering keys over a keyed work queue, ack
 *   only after the handler resolved, nak to retry, term (with a dead letter) what can never apply;
 * - retry-policy.ts: backoff, the retry budget measured in time (a day by default, never a small count),
 *   transient or permanent.
 */
export class EventBus {
  readonly retryPolicy: RetryPolicy;
  readonly listenerConcurrency: number;
  private readonly subjects: WireSubjects;
  private readonly publisher: Publisher;
  private readonly consumers: Consumers;

  private constructor(
    readonly connection: NatsConnection,
    readonly manager: JetStreamManager,
    readonly options: EventBusOptions,
  ) {
    this.retryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.listenerConcurrency = options.listenerConcurrency ?? DEFAULT_LISTENER_CONCURRENCY;
    const js = jetstream(connection);
    this.subjects = new WireSubjects(options.subjectPrefix);
    this.publisher = new Publisher(js, this.subjects);
    this.consumers = new Consumers(js, manager, this.subjects, this.publisher, {
      stream: options.stream,
      logger: options.logger,
      retryPolicy: this.retryPolicy,
      listenerConcurrency: this.listenerConcurrency,
    });
  }

  /** Connects (retrying until `connectTimeoutMs`), and creates or updates the stream. */
  static async connect(options: EventBusOptions): Promise<EventBus> {
    const connection = await connectToNats(options);
    const bus = new EventBus(connection, await connectJetStream(connection, options.logger), options);
    await bus.ensureStream();
    return bus;
  }

  /** Connects with a service's configuration (`NATS_URL`, `NATS_STREAM`, …). */
  static connectWithConfig(
    config: Pick<
      ServiceConfig,
      | 'NATS_URL'
      | 'NATS_STREAM'
      | 'NATS_SUBJECT_PREFIX'
      | 'NATS_STREAM_REPLICAS'
      | 'EVENT_RETRY_BUDGET_SECONDS'
      | 'EVENT_RETRY_BASE_DELAY_MS'
      | 'EVENT_RETRY_MAX_DELAY_MS'
      | 'EVENT_STUCK_WARNING_SECONDS'
      | 'EVENT_LISTENER_CONCURRENCY'
    >,
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
      retry: {
        budgetMs: config.EVENT_RETRY_BUDGET_SECONDS * 1000,
        baseDelayMs: config.EVENT_RETRY_BASE_DELAY_MS,
        maxDelayMs: config.EVENT_RETRY_MAX_DELAY_MS,
        stuckWarningMs: config.EVENT_STUCK_WARNING_SECONDS * 1000,
      },
      listenerConcurrency: config.EVENT_LISTENER_CONCURRENCY,
    });
  }

  /** The subject on the wire for a catalog subject. */
  wireSubject(subject: Subject): string {
    return this.subjects.of(subject);
  }

  /** Where events go that a listener gave up on (see {@link DeadLetter}). */
  deadLetterSubject(durable: string): string {
    return this.subjects.deadLetter(durable);
  }

  /**
   * The events each listener of this process is holding because its handler keeps failing, oldest first:
   * what `/readyz` shows in its details. Empty when every consumer is keeping up.
   */
  heldEvents(): HeldEvent[] {
    return this.consumers.heldEvents();
  }

  /**
   * The consumers of this process paused because a dependency is down (docs/rules.md#rule-6): what `/readyz`
   * shows in its details. Empty while every consumer runs.
   */
  pausedConsumers(): PausedConsumer[] {
    return this.consumers.pausedConsumers();
  }

  /**
   * Creates the stream, or brings an existing one to this configuration; a JetStream API timeout (a fresh
   * cluster placing replicas) is asked again with backoff (see {@link ensureStream}).
   */
  async ensureStream(): Promise<void> {
    await ensureStream(this.manager.streams, streamConfig(this.options), this.options.logger);
  }

  /** Publishes a new event; `id` defaults to a fresh UUID. Resolves once JetStream has stored it. */
  publish<S extends Subject>(
    subject: S,
    data: EventData<S>,
    options: { id?: string; occurredAt?: string } = {},
  ): Promise<PublishResult> {
    return this.publisher.publish(subject, data, options);
  }

  /**
   * Publishes an envelope as it is (the outbox relay re-publishes stored events with their ids). The trace
   * context travels in the message's `traceparent`/`tracestate` headers; with tracing on, the publish is a
   * producer span of that trace, and the message carries that span's context.
   */
  publishEnvelope<S extends Subject>(
    envelope: EventEnvelope<S>,
    options: PublishEnvelopeOptions = {},
  ): Promise<PublishResult> {
    return this.publisher.publishEnvelope(envelope, options);
  }

  /**
   * Publishes bytes as they are on a wire subject (a replayed dead letter: its payload is whatever was
   * stored, malformed or not). `msgID` makes a repeated call inside the duplicate window publish once.
   */
  publishRaw(wireSubject: string, payload: string, msgID: string): Promise<void> {
    return this.publisher.publishRaw(wireSubject, payload, msgID);
  }

  /**
   * Binds a durable pull consumer and handles its messages until stopped: those with the same ordering key
   * one at a time in order, others side by side (see {@link ListenerDefinition.orderingKey}); without a key,
   * one at a time in order. Several processes binding the same durable share its messages (each goes to one
   * of them), so across processes only versions keep order.
   */
  listen<S extends Subject>(definition: ListenerDefinition<S>, options: ListenOptions = {}): Promise<RunningListener> {
    return this.consumers.listen(definition, options);
  }

  /**
   * Deletes durable consumers a service no longer binds (a listener renamed or merged into another), so
   * that the server stops keeping messages pending for them. A consumer that does not exist is fine.
   */
  retireConsumers(durables: readonly string[]): Promise<void> {
    return this.consumers.retire(durables);
  }

  /** Reachable and not closing: what `/readyz` reports. */
  isConnected(): boolean {
    return isConnected(this.connection);
  }

  /** Stops every listener (finishing the message in hand), then drains the connection. */
  async close(): Promise<void> {
    await this.consumers.stopAll();
    await drainConnection(this.connection);
  }
}
