import type { JsMsg } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import { consumerPaused } from '../observability';

/**
 * How a listener tells "a dependency is down" from an event's own failure, and when the dependency is back
 * (docs/rules.md#rule-6). Given to {@link EventBus.listen}; `startListeners` builds it from the service's
 * readiness probe.
 */
export interface OutagePolicy {
  /** True for a failure of reaching a dependency (connection refused, ended, timed out), not of the event. */
  isDependencyDown(error: unknown): boolean;
  /** True once the service is ready again (its `/readyz` checks pass): a paused consumer then resumes. */
  isReady(): Promise<boolean>;
  /** How often `isReady` is asked while paused; defaults to {@link DEFAULT_OUTAGE_PROBE_INTERVAL_MS}. */
  probeIntervalMs?: number;
}

/** Often enough that a consumer resumes within a fraction of a second of its dependency answering again. */
export const DEFAULT_OUTAGE_PROBE_INTERVAL_MS = 250;

/** A consumer of this process paused because a dependency is down: what `/readyz` lists. */
export interface PausedConsumer {
  durable: string;
  /** When it paused (ISO 8601). */
  since: string;
  /** The failure that paused it. */
  reason: string;
  /** Deliveries it holds, un-acked and kept from redelivery, until it resumes. */
  eventsInHand: number;
}

/** Pauses remembered for the retry budget's arithmetic: the last ones are what a held event can overlap. */
const PAUSES_REMEMBERED = 100;

interface Pause {
  since: number;
  reason: string;
  resumed: Promise<boolean>;
  resume(running: boolean): void;
}

/**
 * The pause of one consumer in one process. A handler failing because a dependency is down, while the
 * service's readiness fails too, pauses the consumer as a whole: it stops pulling, runs no handler, keeps
 * every delivery in hand alive (`working()`, so JetStream neither redelivers it nor counts another delivery),
 * and probes readiness every `probeIntervalMs`; once it passes, the deliveries in hand are tried again at
 * once, each in its turn. Each event backing off on its own would instead wait up to the retry policy's
 * `maxDelayMs` after the dependency came back. The time paused is not charged to any event's retry budget.
 *
 * Per process on purpose: two replicas each pause and resume on their own readiness.
 */
export class ConsumerPause {
  /** Deliveries received and not yet settled. */
  private readonly inHand = new Set<JsMsg>();
  private current: Pause | undefined;
  /** Past pauses, oldest first (at most {@link PAUSES_REMEMBERED}). */
  private readonly history: { from: number; to: number }[] = [];
  private keepAlive: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Stopped during a pause: the deliveries still in hand are given back, not handled. */
  private stoppedWhilePaused = false;
  private readonly logger: Logger;

  constructor(
    private readonly options: {
      durable: string;
      /** Without one, the consumer never pauses: every failure is retried on its own, as before. */
      policy: OutagePolicy | undefined;
      ackWaitMs: number;
      logger: Logger;
      /** Stops pulling messages: called once per pause. */
      onPause(): void;
    },
  ) {
    this.logger = options.logger.child({ durable: options.durable });
  }

  get paused(): boolean {
    return this.current !== undefined;
  }

  /** A delivery was received: it is in hand until {@link settled}. */
  take(message: JsMsg): void {
    this.inHand.add(message);
  }

  settled(message: JsMsg): void {
    this.inHand.delete(message);
  }

  /**
   * A handler failed with `error`. Resolves true when the consumer is paused for it (the caller waits with
   * {@link whenRunning}, then tries the same delivery again); false when the failure is the event's own, to
   * be retried on its own: not a dependency failure, or the service is ready (the dependency answers).
   */
  async pausesFor(error: unknown): Promise<boolean> {
    const { policy } = this.options;
    if (!policy || this.stopped || !policy.isDependencyDown(error)) return false;
    if (this.current) return true;
    if (await this.isReady()) return false;
    if (this.stopped) return false;
    // Several handlers may fail at once: the first to get here pauses, the others join it.
    if (!this.current) this.pause(error);
    return true;
  }

  /**
   * Resolves true once the consumer runs (at once when it is not paused), false when it was stopped while
   * paused. A listener stopping while it runs still handles what it has in hand.
   */
  whenRunning(): Promise<boolean> {
    if (this.stoppedWhilePaused) return Promise.resolve(false);
    return this.current?.resumed ?? Promise.resolve(true);
  }

  /** How much of the time from `from` (epoch ms) until now this consumer spent paused. */
  pausedMsSince(from: number, now = Date.now()): number {
    const spans = this.current ? [...this.history, { from: this.current.since, to: now }] : this.history;
    return spans.reduce((total, span) => total + Math.max(0, Math.min(span.to, now) - Math.max(span.from, from)), 0);
  }

  status(): PausedConsumer | undefined {
    if (!this.current) return undefined;
    return {
      durable: this.options.durable,
      since: new Date(this.current.since).toISOString(),
      reason: this.current.reason,
      eventsInHand: this.inHand.size,
    };
  }

  /** The listener stops: whoever waits to run again is told it will not. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.keepAlive);
    const current = this.current;
    if (!current) return;
    this.current = undefined;
    this.stoppedWhilePaused = true;
    consumerPaused.set({ consumer: this.options.durable }, 0);
    current.resume(false);
  }

  private pause(error: unknown): void {
    let resume!: (running: boolean) => void;
    const resumed = new Promise<boolean>((resolve) => (resume = resolve));
    this.current = { since: Date.now(), reason: describe(error), resumed, resume };
    consumerPaused.set({ consumer: this.options.durable }, 1);
    this.logger.warn({ err: error, eventsInHand: this.inHand.size }, 'consumer paused: a dependency is down');
    // Each call restarts a delivery's ack wait: a third of it leaves room for a slow round trip.
    const everyMs = Math.max(50, Math.min(this.options.ackWaitMs / 3, 10_000));
    this.keepAlive = setInterval(() => this.keepInHand(), everyMs);
    this.keepAlive.unref();
    this.options.onPause();
    void this.resumeWhenReady();
  }

  private async resumeWhenReady(): Promise<void> {
    const everyMs = this.options.policy?.probeIntervalMs ?? DEFAULT_OUTAGE_PROBE_INTERVAL_MS;
    do {
      await new Promise((resolve) => setTimeout(resolve, everyMs).unref());
      if (this.stopped) return;
    } while (!(await this.isReady()));
    const current = this.current;
    if (this.stopped || !current) return;
    clearInterval(this.keepAlive);
    this.current = undefined;
    const now = Date.now();
    this.history.push({ from: current.since, to: now });
    if (this.history.length > PAUSES_REMEMBERED) this.history.shift();
    consumerPaused.set({ consumer: this.options.durable }, 0);
    this.logger.info(
      { pausedMs: now - current.since, eventsInHand: this.inHand.size },
      'consumer resumed: the service is ready again',
    );
    current.resume(true);
  }

  private keepInHand(): void {
    for (const message of this.inHand) {
      try {
        message.working();
      } catch {
        // The connection is gone: the delivery is redelivered after its ack wait, as any un-acked one.
      }
    }
  }

  private isReady(): Promise<boolean> {
    return this.options.policy ? this.options.policy.isReady().catch(() => false) : Promise.resolve(true);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
