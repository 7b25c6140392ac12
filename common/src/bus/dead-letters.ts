import { JetStreamApiError, type MsgRequest } from '@nats-io/jetstream';
import type { EventBus, DeadLetter } from './event-bus';

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
