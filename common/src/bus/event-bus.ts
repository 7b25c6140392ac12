import { randomUUID } from 'node:crypto';
import { connect, headers, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
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
  subjects,
  parseEnvelope,
  MalformedEventError,
  type EventData,
  type EventEnvelope,
  type Subject,
} from '../events';
import { RetryLaterError } from './retry-later-error';
import { PermanentEventError } from './permanent-event-error';
import { RetryTracker, type HeldEvent } from './retry-tracker';
import { KeyedWorkQueue } from './keyed-work-queue';
import { ConsumerPause, type OutagePolicy, type PausedConsumer } from './consumer-pause';
import type { ServiceConfig } from '../config';
import {
  activeSpan,
  currentTraceCarrier,
  eventsDeadLettered,
  eventsHandled,
  eventsRetried,
  inSpan,
  isTracing,
  markSpanFailed,
  observeConsumer,
  SpanKind,
  type TraceCarrier,
} from '../observability';

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
  /** Stream replicas: 1 on a laptop, 3 in production (docs/rules.md#rule-7). */
  replicas?: number;
  /** How long to keep retrying the first connection before giving up. */
  connectTimeoutMs?: number;
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
 * How a listener retries an event whose handler failed for a transient reason (docs/rules.md#rule-6): with
 * capped backoff, for as long as the budget lasts, measured from when the event was stored. An outage of
 * a dependency must never turn into a lost event; only a payload that can never apply is given up early.
 */
export interface RetryPolicy {
  /** How long after it was stored an event is still retried; then it goes to the dead-letter subject. */
  budgetMs: number;
  /** First retry delay of a failing handler; each further failure doubles it, up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** An event held (failing) for longer than this is reported: a warning per retry, and in `/readyz`. */
  stuckWarningMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  budgetMs: 24 * 60 * 60_000,
  baseDelayMs: 250,
  maxDelayMs: 30_000,
  stuckWarningMs: 60_000,
});

export interface HandlerContext {
  deliveryCount: number;
  logger: Logger;
}

/** An envelope of any one of the subjects in `S`: a union a handler can switch on by `subject`. */
export type AnyEnvelope<S extends Subject> = S extends Subject ? EventEnvelope<S> : never;

export interface ListenerDefinition<S extends Subject> {
  /**
   * The subject heard, or several that differ only in their last token (`ticket.created` and
   * `ticket.updated`): one consumer then delivers them in the order they were stored.
   */
  subject: S | readonly S[];
  /** Durable consumer name, saying who listens to what: `orders-ticket-updated`. */
  durable: string;
  /**
   * Runs the effect. Resolve to ack. Throw {@link PermanentEventError} for an event that can never apply
   * (dead-lettered at once); anything else is retried with backoff within the retry budget, and a
   * {@link RetryLaterError} (an event that arrived early) is retried more quietly.
   */
  handle(event: AnyEnvelope<S>, context: HandlerContext): Promise<void>;
  /**
   * What the event is about (a ticket id, an order id). Events with the same key are handled one at a time,
   * in the order they were delivered; events with different keys side by side, up to `concurrency`. Give
   * the key the handler's ordering depends on (its versions, or the row it locks). Without one, the
   * listener handles one event at a time.
   */
  orderingKey?(event: AnyEnvelope<S>): string;
  /** Most events handled at once (with an `orderingKey`); defaults to the bus's `listenerConcurrency`. */
  concurrency?: number;
  /** How long a delivery may stay un-acked before JetStream redelivers it. */
  ackWaitMs?: number;
}

/** Why an event went to the dead-letter subject. */
export type DeadLetterKind =
  /** The payload fails its schema: retrying can never help. */
  | 'malformed'
  /** The handler said the event can never apply ({@link PermanentEventError}). */
  | 'permanent'
  /** Still failing when its retry budget ran out. */
  | 'retry-budget-exhausted';

/** What the bus writes to `<prefix>.dead-letter.<durable>` for an event it gave up on. */
export interface DeadLetter {
  durable: string;
  kind: DeadLetterKind;
  /** The wire subject the event was stored under: where a replay publishes it again. */
  subject: string;
  streamSequence: number;
  deliveryCount: number;
  reason: string;
  /** The message's bytes as they were stored. */
  payload: string;
  deadAt: string;
}

/** Options of {@link EventBus.publishEnvelope}. */
export interface PublishEnvelopeOptions {
  /**
   * The trace the event belongs to, as recorded with it (an outbox row): the publish span hangs under it and
   * the message carries it on. `null`: recorded outside any trace. Absent: the active context's.
   */
  traceContext?: TraceCarrier | null;
}

export interface PublishResult {
  id: string;
  /** JetStream already had this id inside its duplicate window and dropped the copy. */
  duplicate: boolean;
  sequence: number;
}

/** Options of {@link EventBus.listen}. */
export interface ListenOptions {
  /**
   * Pause the whole consumer while a dependency is down, instead of backing each event off on its own (see
   * {@link ConsumerPause}). Without it, every failure is retried per event.
   */
  outage?: OutagePolicy;
}

export interface RunningListener {
  durable: string;
  /** Stops pulling; resolves once the messages in hand (if any) are settled. */
  stop(): Promise<void>;
}

const DEFAULT_ACK_WAIT_MS = 30_000;
const STOP_GRACE_MS = 10_000;
const millisToNanos = (ms: number) => ms * 1_000_000;

/**
 * The delay before retrying a delivery that failed: `baseDelayMs` doubled per earlier delivery, capped
 * (250 ms, 500 ms, 1 s … 30 s with the defaults), so a short hiccup costs little and a long outage costs
 * one attempt per `maxDelayMs`.
 */
export function retryDelayMs(deliveryCount: number, baseDelayMs: number, maxDelayMs: number): number {
  // The exponent is capped so a delivery count in the thousands (a day of retries) cannot overflow.
  return Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(20, Math.max(0, deliveryCount - 1)));
}

/**
 * Typed publish and durable pull-consumer listeners on NATS JetStream.
 *
 * Every message is an {@link EventEnvelope}; its `id` is the JetStream `msgID`, so JetStream drops a
 * re-publish of the same event inside the stream's duplicate window. Listeners ack explicitly and only
 * after the handler resolved (handlers commit before they resolve), nak with a delay to retry, and term a
 * malformed payload at once. A failing event is retried within a budget measured in time (a day by
 * default), never a small count; only then, or when the handler says it can never apply, is it moved to
 * `<prefix>.dead-letter.<durable>`, from where a person can list and replay it (see dead-letters.ts).
 */
export class EventBus {
  private readonly listeners = new Set<RunningListener>();
  private readonly held = new RetryTracker();
  private readonly pauses = new Set<ConsumerPause>();
  readonly retryPolicy: RetryPolicy;
  readonly listenerConcurrency: number;

  private constructor(
    readonly connection: NatsConnection,
    private readonly js: JetStreamClient,
    readonly manager: JetStreamManager,
    readonly options: EventBusOptions,
  ) {
    this.retryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.listenerConcurrency = options.listenerConcurrency ?? DEFAULT_LISTENER_CONCURRENCY;
  }

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
    return `${this.options.subjectPrefix}.${subject}`;
  }

  /** Where events go that a listener gave up on (see {@link DeadLetter}). */
  deadLetterSubject(durable: string): string {
    return `${this.options.subjectPrefix}.dead-letter.${durable}`;
  }

  /**
   * The events each listener of this process is holding because its handler keeps failing, oldest first:
   * what `/readyz` shows in its details. Empty when every consumer is keeping up.
   */
  heldEvents(): HeldEvent[] {
    return this.held.list();
  }

  /**
   * The consumers of this process paused because a dependency is down (docs/rules.md#rule-6): what `/readyz`
   * shows in its details. Empty while every consumer runs.
   */
  pausedConsumers(): PausedConsumer[] {
    return [...this.pauses].flatMap((pause) => pause.status() ?? []);
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

  /**
   * Publishes an envelope as it is (the outbox relay re-publishes stored events with their ids). The trace
   * context travels in the message's `traceparent`/`tracestate` headers; with tracing on, the publish is a
   * producer span of that trace, and the message carries that span's context.
   */
  async publishEnvelope<S extends Subject>(
    envelope: EventEnvelope<S>,
    options: PublishEnvelopeOptions = {},
  ): Promise<PublishResult> {
    if (!isTracing()) return this.send(envelope, options.traceContext ?? undefined);
    const wireSubject = this.wireSubject(envelope.subject);
    return inSpan(
      `publish ${envelope.subject}`,
      {
        kind: SpanKind.PRODUCER,
        parent: options.traceContext,
        attributes: {
          'messaging.system': 'nats',
          'messaging.operation.type': 'send',
          'messaging.destination.name': wireSubject,
          'messaging.message.id': envelope.id,
        },
      },
      () => this.send(envelope, currentTraceCarrier()),
    );
  }

  private async send(envelope: EventEnvelope, traceContext: TraceCarrier | undefined): Promise<PublishResult> {
    const ack = await this.js.publish(this.wireSubject(envelope.subject), JSON.stringify(envelope), {
      msgID: envelope.id,
      ...(traceContext && { headers: traceHeaders(traceContext) }),
    });
    return { id: envelope.id, duplicate: ack.duplicate, sequence: ack.seq };
  }

  /**
   * Publishes bytes as they are on a wire subject (a replayed dead letter: its payload is whatever was
   * stored, malformed or not). `msgID` makes a repeated call inside the duplicate window publish once.
   */
  async publishRaw(wireSubject: string, payload: string, msgID: string): Promise<void> {
    await this.js.publish(wireSubject, payload, { msgID });
  }

  /**
   * Binds a durable pull consumer and handles its messages until stopped: those with the same ordering key
   * one at a time in order, others side by side (see {@link ListenerDefinition.orderingKey}); without a key,
   * one at a time in order. Several processes binding the same durable share its messages (each goes to one
   * of them), so across processes only versions keep order.
   */
  async listen<S extends Subject>(
    definition: ListenerDefinition<S>,
    options: ListenOptions = {},
  ): Promise<RunningListener> {
    const ackWaitMs = definition.ackWaitMs ?? DEFAULT_ACK_WAIT_MS;
    await this.ensureConsumer({
      durable_name: definition.durable,
      filter_subject: this.filterSubject(subjectsOf(definition)),
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: millisToNanos(ackWaitMs),
      // Unbounded here on purpose: the listener itself moves an event to the dead-letter subject when its
      // retry budget runs out, which JetStream's own max_deliver would instead drop silently.
      max_deliver: -1,
    });
    const consumer = await this.js.consumers.get(this.options.stream, definition.durable);
    const concurrency = definition.orderingKey ? (definition.concurrency ?? this.listenerConcurrency) : 1;
    // A small batch: messages waiting in the client's buffer are already running their ack timer.
    const pull = () => consumer.consume({ max_messages: Math.max(16, concurrency) });
    let messages = await pull();
    let stopping = false;
    // Set when a pause closed the pull: it is opened again on resuming, not on stopping.
    let closedByPause = false;
    const pause = new ConsumerPause({
      durable: definition.durable,
      policy: options.outage,
      ackWaitMs,
      logger: this.options.logger,
      onPause: () => {
        closedByPause = true;
        void messages.close();
      },
    });
    this.pauses.add(pause);
    const work = new KeyedWorkQueue(concurrency);
    const done = (async () => {
      for (;;) {
        await this.handleMessages(definition, messages, work, pause);
        // The pull ended: stopped, or the connection closed for good, unless a pause closed it.
        if (stopping || !closedByPause) break;
        closedByPause = false;
        if (!(await pause.whenRunning()) || stopping) break;
        const reopened = await this.pullAgain(pull, () => stopping, definition.durable);
        if (!reopened) break;
        messages = reopened;
        // Stopped, or paused again, while the pull was opening: close it as stop() and pause would have.
        if (stopping) void messages.close();
        else if (pause.paused) {
          closedByPause = true;
          void messages.close();
        }
      }
      await work.idle();
    })();
    const stopObserving = observeConsumer(definition.durable, async () => {
      const info = await this.manager.consumers.info(this.options.stream, definition.durable);
      return { pending: info.num_pending, ackPending: info.num_ack_pending };
    });
    const listener: RunningListener = {
      durable: definition.durable,
      stop: async () => {
        stopping = true;
        this.listeners.delete(listener);
        this.pauses.delete(pause);
        stopObserving();
        // Paused: the deliveries in hand go back to the server at once, for whichever process runs next.
        pause.stop();
        // Let the messages in hand finish, but never let a stuck handler (or a dead connection) hold
        // shutdown forever: an un-acked message is redelivered anyway.
        const settled = messages.close().then(() => done);
        await Promise.race([settled, sleep(STOP_GRACE_MS, { unref: true })]);
      },
    };
    this.listeners.add(listener);
    return listener;
  }

  /** Opens the pull again after a pause, retrying while NATS does not answer; undefined once stopping. */
  private async pullAgain(
    pull: () => Promise<ConsumerMessages>,
    stopping: () => boolean,
    durable: string,
  ): Promise<ConsumerMessages | undefined> {
    for (let attempt = 1; !stopping(); attempt += 1) {
      try {
        return await pull();
      } catch (error) {
        this.options.logger.warn({ err: error, durable, attempt }, 'could not pull again after a pause, retrying');
        await sleep(Math.min(2_000, 250 * attempt), { unref: true });
      }
    }
    return undefined;
  }

  /**
   * Deletes durable consumers a service no longer binds (a listener renamed or merged into another), so
   * that the server stops keeping messages pending for them. A consumer that does not exist is fine.
   */
  async retireConsumers(durables: readonly string[]): Promise<void> {
    for (const durable of durables) {
      await this.manager.consumers.delete(this.options.stream, durable).catch((error: unknown) => {
        if (!isNotFound(error)) throw error;
      });
    }
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

  /**
   * One subject, or the wildcard covering several that differ only in their last token. Server 2.9 takes a
   * single `filter_subject` per consumer, so that is the form several subjects must fit.
   */
  private filterSubject(subjects: readonly Subject[]): string {
    const [first, ...rest] = subjects;
    if (!first) throw new Error('a listener needs at least one subject');
    if (rest.length === 0) return this.wireSubject(first);
    const parent = first.slice(0, first.lastIndexOf('.'));
    if (rest.some((subject) => subject.slice(0, subject.lastIndexOf('.')) !== parent)) {
      throw new Error(`subjects ${subjects.join(', ')} must differ only in their last token`);
    }
    return `${this.options.subjectPrefix}.${parent}.*`;
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

  /**
   * Takes messages in delivery order and hands each to the work queue under its ordering key, waiting for a
   * free slot before taking the next, until the messages end (stop, or a pause).
   *
   * The messages are read off the pull as they arrive, so that each one received is in hand and, during a
   * pause, kept from redelivery (see {@link ConsumerPause}) even while the work queue is full; a paused
   * consumer hands no more work to the queue until it resumes.
   */
  private async handleMessages<S extends Subject>(
    definition: ListenerDefinition<S>,
    messages: ConsumerMessages,
    work: KeyedWorkQueue,
    pause: ConsumerPause,
  ): Promise<void> {
    const received: JsMsg[] = [];
    let ended = false;
    let arrived: (() => void) | undefined;
    const wake = () => {
      const resolve = arrived;
      arrived = undefined;
      resolve?.();
    };
    const reading = (async () => {
      try {
        for await (const message of messages) {
          pause.take(message);
          received.push(message);
          wake();
        }
      } finally {
        ended = true;
        wake();
      }
    })();

    for (;;) {
      if (received.length === 0 && !ended) await new Promise<void>((resolve) => (arrived = resolve));
      const message = received.shift();
      if (!message) {
        if (ended) break;
        continue;
      }
      if (!(await pause.whenRunning())) {
        // Stopped while paused: back to the server at once, for whichever process runs next.
        this.release(message, pause);
        continue;
      }
      const logger = this.options.logger.child({
        durable: definition.durable,
        deliveryCount: message.info.deliveryCount,
      });
      const parsed = await this.parseMessage(definition, message, logger);
      if (!parsed) {
        pause.settled(message);
        continue;
      }
      await work.add(this.orderingKeyOf(definition, parsed, logger), () =>
        this.handleEvent(definition, message, parsed, logger, pause)
          .catch((error: unknown) => {
            // Settling a message failed (the connection is gone): it is redelivered after its ack wait.
            logger.error({ err: error, sequence: message.seq }, 'could not settle a message; it will be redelivered');
          })
          .finally(() => pause.settled(message)),
      );
    }
    // What was admitted runs on; after a pause the pull opens again meanwhile, its messages queued behind.
    await reading;
  }

  /** Gives a delivery back to the server unhandled: a stopping listener's, while it was paused. */
  private release(message: JsMsg, pause: ConsumerPause): void {
    try {
      message.nak();
    } catch {
      // The connection is gone: redelivered after its ack wait.
    }
    pause.settled(message);
  }

  /** The event a message carries, or undefined when it was settled here (a sibling subject, a malformed payload). */
  private async parseMessage<S extends Subject>(
    definition: ListenerDefinition<S>,
    message: JsMsg,
    logger: Logger,
  ): Promise<AnyEnvelope<S> | undefined> {
    const subject = this.catalogSubject(message.subject);
    const subjects = subjectsOf(definition);
    if (subject && !subjects.includes(subject as S) && subjects.length > 1) {
      // A sibling subject under the same wildcard that this listener does not handle: not its business.
      message.ack();
      return undefined;
    }
    try {
      return parseEnvelope((subject ?? subjects[0]) as S, message.json()) as AnyEnvelope<S>;
    } catch (error) {
      // Retrying can never fix a payload that fails its schema: keep a copy, then term it.
      const reason = error instanceof MalformedEventError ? error.reason : 'payload is not JSON';
      logger.error({ reason, sequence: message.seq }, 'malformed event terminated');
      await this.giveUp(message, { durable: definition.durable, kind: 'malformed', reason }, logger);
      return undefined;
    }
  }

  /** The event's ordering key; one shared key (one at a time) for a listener without one. */
  private orderingKeyOf<S extends Subject>(definition: ListenerDefinition<S>, event: AnyEnvelope<S>, logger: Logger) {
    if (!definition.orderingKey) return '';
    try {
      return definition.orderingKey(event);
    } catch (error) {
      // A bug in the listener, not in the event: handle it in order with every other such event.
      logger.error({ err: error, eventId: event.id }, 'ordering key failed; handled in the shared lane');
      return '';
    }
  }

  /**
   * Handles one delivery; with tracing on, inside a consumer span under the context the message carries in
   * its headers (the publisher's), so the handler's own work and the events it records join that trace.
   */
  private handleEvent<S extends Subject>(
    definition: ListenerDefinition<S>,
    message: JsMsg,
    event: AnyEnvelope<S>,
    logger: Logger,
    pause: ConsumerPause,
  ): Promise<void> {
    if (!isTracing()) return this.settleEvent(definition, message, event, logger, pause);
    return inSpan(
      `process ${event.subject}`,
      {
        kind: SpanKind.CONSUMER,
        // No headers: an event published outside any trace starts one here.
        parent: traceContextOf(message.headers) ?? null,
        attributes: {
          'messaging.system': 'nats',
          'messaging.operation.type': 'process',
          'messaging.destination.name': message.subject,
          'messaging.consumer.group.name': definition.durable,
          'messaging.message.id': event.id,
          'messaging.nats.delivery_count': message.info.deliveryCount,
        },
      },
      () => this.settleEvent(definition, message, event, logger, pause),
    );
  }

  /**
   * Runs the handler, then acks, or retries or gives up on a failure. A failure because a dependency is down
   * pauses the consumer (see {@link ConsumerPause}): the same delivery is tried again once it resumes, and
   * no handler runs while it is paused.
   */
  private async settleEvent<S extends Subject>(
    definition: ListenerDefinition<S>,
    message: JsMsg,
    event: AnyEnvelope<S>,
    logger: Logger,
    pause: ConsumerPause,
  ): Promise<void> {
    const deliveryCount = message.info.deliveryCount;
    const { durable } = definition;
    const eventLogger = logger.child({ subject: event.subject, eventId: event.id });
    for (;;) {
      if (!(await pause.whenRunning())) {
        this.release(message, pause);
        return;
      }
      try {
        await definition.handle(event, { deliveryCount, logger: eventLogger });
        break;
      } catch (error) {
        if (await pause.pausesFor(error)) continue;
        await this.retryOrGiveUp(message, durable, error, eventLogger, pause);
        return;
      }
    }
    this.held.release(durable, message.seq);
    eventsHandled.inc({ consumer: durable });

    try {
      // Not waiting for the server's word (a round trip and a request per event): an ack that is lost means
      // a redelivery after the ack wait, which the inbox (or the handler's own idempotency) ignores.
      message.ack();
      eventLogger.info('event handled');
    } catch (error) {
      // The effect is committed; a redelivery finds it in the inbox and changes nothing.
      eventLogger.warn({ err: error }, 'ack not sent; a redelivery will be ignored by the inbox');
    }
  }

  /**
   * A handler failed: retry with capped backoff while the event is younger than the budget, else (or when
   * the handler said it can never apply) move it to the dead-letter subject.
   */
  private async retryOrGiveUp(
    message: JsMsg,
    durable: string,
    error: unknown,
    logger: Logger,
    pause: ConsumerPause,
  ): Promise<void> {
    const policy = this.retryPolicy;
    const storedAt = message.info.timestampNanos / 1_000_000;
    const ageMs = Math.max(0, Date.now() - storedAt);
    // An outage the consumer sat out paused is not charged to the event: the budget is for its own failures.
    const spentMs = ageMs - pause.pausedMsSince(storedAt);
    const permanent = error instanceof PermanentEventError;
    if (permanent || spentMs >= policy.budgetMs) {
      const kind: DeadLetterKind = permanent ? 'permanent' : 'retry-budget-exhausted';
      logger.error({ err: error, kind, ageMs }, 'event given up, moved to the dead-letter subject');
      await this.giveUp(message, { durable, kind, reason: describe(error) }, logger);
      return;
    }

    const early = error instanceof RetryLaterError;
    const retryInMs = retryDelayMs(
      message.info.deliveryCount,
      early ? error.delayMs : policy.baseDelayMs,
      policy.maxDelayMs,
    );
    const held = this.held.hold(durable, message.seq, ageMs, describe(error));
    eventsRetried.inc({ consumer: durable });
    markSpanFailed(activeSpan(), error, { 'ticketing.retry_in_ms': retryInMs });
    if (ageMs >= policy.stuckWarningMs) {
      // Said at every retry past the threshold: an operator sees which consumer is stuck, on what, how long.
      logger.warn(
        { err: error, ageSeconds: Math.round(ageMs / 1000), retryInMs, since: held.firstFailedAt },
        'consumer is holding an event that keeps failing',
      );
    } else if (early) {
      logger.info({ reason: describe(error), retryInMs }, 'event not applicable yet, retrying');
    } else {
      logger.warn({ err: error, retryInMs }, 'event handler failed, retrying');
    }
    message.nak(retryInMs);
  }

  /** The catalog subject of a wire subject under this bus's prefix (`ticketing.ticket.created` → `ticket.created`). */
  private catalogSubject(wireSubject: string): Subject | undefined {
    const prefix = `${this.options.subjectPrefix}.`;
    if (!wireSubject.startsWith(prefix)) return undefined;
    const subject = wireSubject.slice(prefix.length);
    return subjects.includes(subject as Subject) ? (subject as Subject) : undefined;
  }

  /**
   * Keeps a copy on the dead-letter subject, then terms the message. If the copy cannot be stored (NATS is
   * struggling), the message is not termed but retried later: an event is never dropped without its copy.
   */
  private async giveUp(
    message: JsMsg,
    cause: Pick<DeadLetter, 'durable' | 'kind' | 'reason'>,
    logger: Logger,
  ): Promise<void> {
    if (await this.deadLetter(message, cause, logger)) {
      this.held.release(cause.durable, message.seq);
      eventsDeadLettered.inc({ consumer: cause.durable, kind: cause.kind });
      markSpanFailed(activeSpan(), new Error(cause.reason), { 'ticketing.dead_letter_kind': cause.kind });
      message.term();
    } else {
      message.nak(this.retryPolicy.maxDelayMs);
    }
  }

  private async deadLetter(
    message: JsMsg,
    cause: Pick<DeadLetter, 'durable' | 'kind' | 'reason'>,
    logger: Logger,
  ): Promise<boolean> {
    const deadLetter: DeadLetter = {
      ...cause,
      subject: message.subject,
      streamSequence: message.seq,
      deliveryCount: message.info.deliveryCount,
      payload: message.string(),
      deadAt: new Date().toISOString(),
    };
    try {
      await this.js.publish(this.deadLetterSubject(cause.durable), JSON.stringify(deadLetter), {
        // One dead letter per stored message, however often this runs.
        msgID: `dead-letter:${cause.durable}:${message.seq}`,
      });
      return true;
    } catch (error) {
      logger.error({ err: error }, 'could not publish to the dead-letter subject; the event stays and is retried');
      return false;
    }
  }
}

/** NATS headers carrying a trace context (`traceparent`, `tracestate`). */
function traceHeaders(traceContext: TraceCarrier): MsgHdrs {
  const carried = headers();
  for (const [key, value] of Object.entries(traceContext)) carried.set(key, value);
  return carried;
}

/** The trace context a message carries in its headers, if any. */
function traceContextOf(carried: MsgHdrs | undefined): TraceCarrier | undefined {
  const traceparent = carried?.get('traceparent');
  if (!traceparent) return undefined;
  const tracestate = carried?.get('tracestate');
  return tracestate ? { traceparent, tracestate } : { traceparent };
}

function subjectsOf<S extends Subject>(definition: ListenerDefinition<S>): readonly S[] {
  return typeof definition.subject === 'string' ? [definition.subject] : definition.subject;
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
