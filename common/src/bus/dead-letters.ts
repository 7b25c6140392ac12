import { JetStreamApiError, type JsMsg, type MsgRequest } from '@nats-io/jetstream';
import type { EventBus } from './event-bus';

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

/** Why a listener gave up on an event. */
export type DeadLetterCause = Pick<DeadLetter, 'durable' | 'kind' | 'reason'>;

/** The dead letter of a delivery, and its `msgID`: one dead letter per stored message, however often it is written. */
export function deadLetterOf(message: JsMsg, cause: DeadLetterCause): { deadLetter: DeadLetter; msgID: string } {
  return {
    deadLetter: {
      ...cause,
      subject: message.subject,
      streamSequence: message.seq,
      deliveryCount: message.info.deliveryCount,
      payload: message.string(),
      deadAt: new Date().toISOString(),
    },
    msgID: `dead-letter:${cause.durable}:${message.seq}`,
  };
}

/** A dead letter as it sits in the stream: what the bus wrote, and where. */
export interface StoredDeadLetter extends DeadLetter {
  /** The dead letter's own sequence in the stream (not the event's, which is `streamSequence`). */
  deadLetterSequence: number;
}

/**
 * Every dead letter kept in the stream, oldest first; only one listener's when `durable` is given. Reads
 * the stream directly by subject, so it works while the services are down.
 */
export async function listDeadLetters(bus: EventBus, durable?: string): Promise<StoredDeadLetter[]> {
  const subject = durable ? bus.deadLetterSubject(durable) : `${bus.options.subjectPrefix}.dead-letter.>`;
  const found: StoredDeadLetter[] = [];
  for (let sequence = 1; ;) {
    // STREAM.MSG.GET with next_by_subj (server 2.9 has it; the client's type only lists seq and last_by_subj).
    const request = { seq: sequence, next_by_subj: subject } as unknown as MsgRequest;
    const stored = await bus.manager.streams.getMessage(bus.options.stream, request).catch((error: unknown) => {
      // "no message found" past the last one.
      if (error instanceof JetStreamApiError && error.status === 404) return null;
      throw error;
    });
    if (!stored) return found;
    found.push({ ...stored.json<DeadLetter>(), deadLetterSequence: stored.seq });
    sequence = stored.seq + 1;
  }
}

/**
 * Publishes dead letters of one listener again, on the subject their event was stored under, and removes
 * them from the stream: all of that listener's, or only the one whose event had stream sequence
 * `eventSequence`. Safe because every listener is idempotent: a consumer that already applied the event
 * finds it in its inbox and changes nothing; the listener that gave up on it tries again (with a fresh
 * retry budget). Resolves to the dead letters replayed.
 */
export async function replayDeadLetters(
  bus: EventBus,
  durable: string,
  eventSequence?: number,
): Promise<StoredDeadLetter[]> {
  const chosen = (await listDeadLetters(bus, durable)).filter(
    (deadLetter) => eventSequence === undefined || deadLetter.streamSequence === eventSequence,
  );
  for (const deadLetter of chosen) {
    await bus.publishRaw(deadLetter.subject, deadLetter.payload, `replay:${deadLetter.deadLetterSequence}`);
    await bus.manager.streams.deleteMessage(bus.options.stream, deadLetter.deadLetterSequence);
  }
  return chosen;
}
