import { randomUUID } from 'node:crypto';
import type { JetStreamClient } from '@nats-io/jetstream';
import { eventSchemas, type EventData, type EventEnvelope, type Subject } from '../events';
import { currentTraceCarrier, inSpan, isTracing, SpanKind, type TraceCarrier } from '../observability';
import { traceHeaders } from './trace-headers';
import type { WireSubjects } from './wire-subjects';

/** Options of {@link Publisher.publishEnvelope}. */
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

/**
 * Publishes events to the stream. Every message is an {@link EventEnvelope} whose `id` is the JetStream
 * `msgID`, so JetStream drops a re-publish of the same event inside the stream's duplicate window; a new
 * event's payload is checked against the catalog before it is sent.
 */
export class Publisher {
  constructor(
    private readonly js: JetStreamClient,
    private readonly subjects: WireSubjects,
  ) {}

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
    const wireSubject = this.subjects.of(envelope.subject);
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

  /**
   * Publishes bytes as they are on a wire subject (a dead letter, or a replayed one: its payload is whatever
   * was stored, malformed or not). `msgID` makes a repeated call inside the duplicate window publish once.
   */
  async publishRaw(wireSubject: string, payload: string, msgID: string): Promise<void> {
    await this.js.publish(wireSubject, payload, { msgID });
  }

  private async send(envelope: EventEnvelope, traceContext: TraceCarrier | undefined): Promise<PublishResult> {
    const ack = await this.js.publish(this.subjects.of(envelope.subject), JSON.stringify(envelope), {
      msgID: envelope.id,
      ...(traceContext && { headers: traceHeaders(traceContext) }),
    });
    return { id: envelope.id, duplicate: ack.duplicate, sequence: ack.seq };
  }
}
