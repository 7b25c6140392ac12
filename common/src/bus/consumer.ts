import {
  AckPolicy,
  DeliverPolicy,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import type { Logger } from 'pino';
import type { EventEnvelope, Subject } from '../events';
import { observeConsumer } from '../observability';
import { ConsumerPause, type OutagePolicy, type PausedConsumer } from './consumer-pause';
import { DeliveryHandler, subjectsOf } from './delivery-handler';
import { KeyedWorkQueue } from './keyed-work-queue';
import { RetryTracker, type HeldEvent } from './retry-tracker';
import { isNotFound, millisToNanos, sleep } from './connection';
import type { Publisher } from './publisher';
import type { RetryPolicy } from './retry-policy';
import type { WireSubjects } from './wire-subjects';

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

/**
 * How long one pull request waits on the server before the client sends the next, and the heartbeat the
 * server sends meanwhile (half of it, as nats.js would pick). A pull parked on a consumer leader whose node
 * died gets neither its expiry nor heartbeats: nats.js notices after two missed heartbeats (5–7.5 s here) and
 * asks again, every 5 s, until the consumer has a new leader (its Raft election: 4–9 s on server 2.9). On a
 * three-node cluster, the event published after the kill arrived 9.5–12 s after it, against 42 s with nats.js'
 * defaults (30 s, heartbeat 15 s). The cost: while idle, each consumer sends one pull request per 5 s, which
 * the server answers with a 408 when it expires, and two heartbeats: a few small messages per consumer per 5 s.
 */
export const PULL_EXPIRES_MS = 5_000;
export const PULL_IDLE_HEARTBEAT_MS = PULL_EXPIRES_MS / 2;

export interface ConsumersOptions {
  /** The stream every durable consumer is made on. */
  stream: string;
  logger: Logger;
  retryPolicy: RetryPolicy;
  /** Events handled at once by a listener with an ordering key and no `concurrency` of its own. */
  listenerConcurrency: number;
}

/**
 * The durable pull consumers of one process. Listeners ack explicitly and only after the handler resolved
 * (handlers commit before they resolve), nak with a delay to retry, and term a malformed payload at once
 * (see {@link DeliveryHandler}). Several processes binding the same durable share its messages.
 */
export class Consumers {
  private readonly listeners = new Set<RunningListener>();
  private readonly held = new RetryTracker();
  private readonly pauses = new Set<ConsumerPause>();

  constructor(
    private readonly js: JetStreamClient,
    private readonly manager: JetStreamManager,
    private readonly subjects: WireSubjects,
    private readonly publisher: Publisher,
    private readonly options: ConsumersOptions,
  ) {}

  /** See {@link EventBus.heldEvents}. */
  heldEvents(): HeldEvent[] {
    return this.held.list();
  }

  /** See {@link EventBus.pausedConsumers}. */
  pausedConsumers(): PausedConsumer[] {
    return [...this.pauses].flatMap((pause) => pause.status() ?? []);
  }

  /** See {@link EventBus.listen}. */
  async listen<S extends Subject>(
    definition: ListenerDefinition<S>,
    options: ListenOptions = {},
  ): Promise<RunningListener> {
    const ackWaitMs = definition.ackWaitMs ?? DEFAULT_ACK_WAIT_MS;
    await this.ensureConsumer({
      durable_name: definition.durable,
      filter_subject: this.subjects.filter(subjectsOf(definition)),
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: millisToNanos(ackWaitMs),
      // Unbounded here on purpose: the listener itself moves an event to the dead-letter subject when its
      // retry budget runs out, which JetStream's own max_deliver would instead drop silently.
      max_deliver: -1,
    });
    const consumer = await this.js.consumers.get(this.options.stream, definition.durable);
    const concurrency = definition.orderingKey ? (definition.concurrency ?? this.options.listenerConcurrency) : 1;
    const pull = () =>
      consumer.consume({
        // A small batch: messages waiting in the client's buffer are already running their ack timer.
        max_messages: Math.max(16, concurrency),
        expires: PULL_EXPIRES_MS,
        idle_heartbeat: PULL_IDLE_HEARTBEAT_MS,
      });
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
    const deliveries = new DeliveryHandler(definition, pause, {
      subjects: this.subjects,
      publisher: this.publisher,
      held: this.held,
      retryPolicy: this.options.retryPolicy,
    });
    const work = new KeyedWorkQueue(concurrency);
    const done = (async () => {
      for (;;) {
        await this.handleMessages(definition, messages, work, pause, deliveries);
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

  /** See {@link EventBus.retireConsumers}. */
  async retire(durables: readonly string[]): Promise<void> {
    for (const durable of durables) {
      await this.manager.consumers.delete(this.options.stream, durable).catch((error: unknown) => {
        if (!isNotFound(error)) throw error;
      });
    }
  }

  /** Stops every listener, each finishing the messages in hand (within its grace). */
  async stopAll(): Promise<void> {
    await Promise.all([...this.listeners].map((listener) => listener.stop()));
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
    deliveries: DeliveryHandler<S>,
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
        deliveries.release(message);
        continue;
      }
      const logger = this.options.logger.child({
        durable: definition.durable,
        deliveryCount: message.info.deliveryCount,
      });
      const parsed = await deliveries.parse(message, logger);
      if (!parsed) {
        pause.settled(message);
        continue;
      }
      await work.add(deliveries.orderingKeyOf(parsed, logger), () =>
        deliveries
          .handle(message, parsed, logger)
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
}
