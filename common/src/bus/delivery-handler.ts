import type { JsMsg } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import { MalformedEventError, parseEnvelope, type Subject } from '../events';
import { quietChild } from '../logging/quiet-child';
import { SampledLines } from '../logging/sampled-lines';
import {
  activeSpan,
  eventsDeadLettered,
  eventsHandled,
  eventsRetried,
  inSpan,
  isTracing,
  markSpanFailed,
  SpanKind,
} from '../observability';
import type { ConsumerPause } from './consumer-pause';
import type { AnyEnvelope, ListenerDefinition } from './consumer';
import { deadLetterOf, type DeadLetterCause } from './dead-letters';
import type { Publisher } from './publisher';
import { decideRetry, type RetryPolicy } from './retry-policy';
import type { RetryTracker } from './retry-tracker';
import { traceContextOf } from './trace-headers';
import type { WireSubjects } from './wire-subjects';

/** What every listener of a process shares. */
export interface DeliveryContext {
  subjects: WireSubjects;
  /** Writes the dead letters. */
  publisher: Publisher;
  /** The events this process keeps failing on (`/readyz`). */
  held: RetryTracker;
  retryPolicy: RetryPolicy;
}

/**
 * What one listener does with each delivery: parse it against the catalog, run the handler, then ack; or
 * nak with a delay (see {@link decideRetry}); or keep a copy on `<prefix>.dead-letter.<durable>` and term it
 * (a malformed payload at once, an event that can never apply, or one still failing when its retry budget ran
 * out), from where a person can list and replay it (see dead-letters.ts).
 */
export class DeliveryHandler<S extends Subject> {
  /** This consumer's `info` lines about events it handled: all while they are few, one a second under load. */
  private readonly sampledLines = new SampledLines();

  constructor(
    private readonly definition: ListenerDefinition<S>,
    private readonly pause: ConsumerPause,
    private readonly context: DeliveryContext,
  ) {}

  /** The event a message carries, or undefined when it was settled here (a sibling subject, a malformed payload). */
  async parse(message: JsMsg, logger: Logger): Promise<AnyEnvelope<S> | undefined> {
    const subject = this.context.subjects.catalogSubject(message.subject);
    const subjects = subjectsOf(this.definition);
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
      await this.giveUp(message, { durable: this.definition.durable, kind: 'malformed', reason }, logger);
      return undefined;
    }
  }

  /** The event's ordering key; one shared key (one at a time) for a listener without one. */
  orderingKeyOf(event: AnyEnvelope<S>, logger: Logger): string {
    if (!this.definition.orderingKey) return '';
    try {
      return this.definition.orderingKey(event);
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
  handle(message: JsMsg, event: AnyEnvelope<S>, logger: Logger): Promise<void> {
    if (!isTracing()) return this.settle(message, event, logger);
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
          'messaging.consumer.group.name': this.definition.durable,
          'messaging.message.id': event.id,
          'messaging.nats.delivery_count': message.info.deliveryCount,
        },
      },
      () => this.settle(message, event, logger),
    );
  }

  /** Gives a delivery back to the server unhandled: a stopping listener's, while it was paused. */
  release(message: JsMsg): void {
    try {
      message.nak();
    } catch {
      // The connection is gone: redelivered after its ack wait.
    }
    this.pause.settled(message);
  }

  /**
   * Runs the handler, then acks, or retries or gives up on a failure. A failure because a dependency is down
   * pauses the consumer (see {@link ConsumerPause}): the same delivery is tried again once it resumes, and
   * no handler runs while it is paused.
   */
  private async settle(message: JsMsg, event: AnyEnvelope<S>, logger: Logger): Promise<void> {
    const deliveryCount = message.info.deliveryCount;
    const { durable } = this.definition;
    // An event left out of the sample writes no info line (its handler's included); warnings and errors
    // always, and at LOG_LEVEL=debug every line, as someone debugging wants.
    const sample = this.sampledLines.take();
    const quiet = !sample.write && logger.isLevelEnabled('info') && !logger.isLevelEnabled('debug');
    const bindings = { subject: event.subject, eventId: event.id };
    const eventLogger = quiet ? quietChild(logger, bindings) : logger.child(bindings);
    for (;;) {
      if (!(await this.pause.whenRunning())) {
        this.release(message);
        return;
      }
      try {
        await this.definition.handle(event, { deliveryCount, logger: eventLogger });
        break;
      } catch (error) {
        if (await this.pause.pausesFor(error)) continue;
        await this.retryOrGiveUp(message, error, eventLogger);
        return;
      }
    }
    this.context.held.release(durable, message.seq);
    eventsHandled.inc({ consumer: durable });

    try {
      // Not waiting for the server's word (a round trip and a request per event): an ack that is lost means
      // a redelivery after the ack wait, which the inbox (or the handler's own idempotency) ignores.
      message.ack();
      if (sample.write) {
        eventLogger.info(sample.skipped > 0 ? { eventsWithoutLineSince: sample.skipped } : {}, 'event handled');
      }
    } catch (error) {
      // The effect is committed; a redelivery finds it in the inbox and changes nothing.
      eventLogger.warn({ err: error }, 'ack not sent; a redelivery will be ignored by the inbox');
    }
  }

  /**
   * A handler failed: retry with capped backoff while the event is younger than the budget, else (or when
   * the handler said it can never apply) move it to the dead-letter subject.
   */
  private async retryOrGiveUp(message: JsMsg, error: unknown, logger: Logger): Promise<void> {
    const { durable } = this.definition;
    const policy = this.context.retryPolicy;
    const storedAt = message.info.timestampNanos / 1_000_000;
    const ageMs = Math.max(0, Date.now() - storedAt);
    // An outage the consumer sat out paused is not charged to the event: the budget is for its own failures.
    const spentMs = ageMs - this.pause.pausedMsSince(storedAt);
    const decision = decideRetry(policy, error, { deliveryCount: message.info.deliveryCount, spentMs });
    if (decision.action === 'give-up') {
      const { kind } = decision;
      logger.error({ err: error, kind, ageMs }, 'event given up, moved to the dead-letter subject');
      await this.giveUp(message, { durable, kind, reason: describe(error) }, logger);
      return;
    }

    const { delayMs: retryInMs, early } = decision;
    const held = this.context.held.hold(durable, message.seq, ageMs, describe(error));
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

  /**
   * Keeps a copy on the dead-letter subject, then terms the message. If the copy cannot be stored (NATS is
   * struggling), the message is not termed but retried later: an event is never dropped without its copy.
   */
  private async giveUp(message: JsMsg, cause: DeadLetterCause, logger: Logger): Promise<void> {
    if (await this.deadLetter(message, cause, logger)) {
      this.context.held.release(cause.durable, message.seq);
      eventsDeadLettered.inc({ consumer: cause.durable, kind: cause.kind });
      markSpanFailed(activeSpan(), new Error(cause.reason), { 'ticketing.dead_letter_kind': cause.kind });
      message.term();
    } else {
      message.nak(this.context.retryPolicy.maxDelayMs);
    }
  }

  private async deadLetter(message: JsMsg, cause: DeadLetterCause, logger: Logger): Promise<boolean> {
    const { deadLetter, msgID } = deadLetterOf(message, cause);
    try {
      await this.context.publisher.publishRaw(
        this.context.subjects.deadLetter(cause.durable),
        JSON.stringify(deadLetter),
        msgID,
      );
      return true;
    } catch (error) {
      logger.error({ err: error }, 'could not publish to the dead-letter subject; the event stays and is retried');
      return false;
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The subjects a listener hears. */
export function subjectsOf<S extends Subject>(definition: ListenerDefinition<S>): readonly S[] {
  return typeof definition.subject === 'string' ? [definition.subject] : definition.subject;
}
