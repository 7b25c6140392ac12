/**
 * What the harness reads from JetStream: the stream's last sequence around each NATS fault; once the run has
 * healed, how much each durable consumer still has to do (for the quiet period), every dead letter kept in
 * the stream (for invariant 7), and every message's id (every event an outbox marked sent must be there).
 */
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';

import type { ChaosStack } from './chaos-stack';

/** What the bus writes to `<prefix>.dead-letter.<durable>` (common's event-bus.ts), as read back. */
export interface DeadLetter {
  /** The stream subject it was kept on. */
  keptOn: string;
  durable?: string;
  subject?: string;
  streamSequence?: number;
  /** `malformed`, `permanent` or `retry-budget-exhausted`; absent from dead letters written before the bus recorded why. */
  kind?: string;
  reason?: string;
  /** The dead event's own id, when its payload was an envelope. */
  eventId?: string;
}

const READ_BATCH = 256;

/** The stream's `state`: sequences run from first to last; with no limits and no deletes, messages = last. */
export interface StreamState {
  firstSequence: number;
  lastSequence: number;
  messages: number;
  deleted: number;
}

export class StreamInspector {
  private constructor(
    private readonly connection: NatsConnection,
    private readonly manager: JetStreamManager,
    private readonly chaos: ChaosStack,
  ) {}

  static async connect(chaos: ChaosStack): Promise<StreamInspector> {
    const connection = await connect({
      servers: chaos.natsUrl.split(','),
      name: 'chaos-harness',
      maxReconnectAttempts: -1,
    });
    return new StreamInspector(connection, await jetstreamManager(connection, { timeout: 10_000 }), chaos);
  }

  /** The stream's sequences and message count now (from its leader). */
  async state(): Promise<StreamState> {
    const { state } = await this.manager.streams.info(this.chaos.streamName);
    return {
      firstSequence: state.first_seq,
      lastSequence: state.last_seq,
      messages: state.messages,
      deleted: state.num_deleted ?? 0,
    };
  }

  /**
   * The `Nats-Msg-Id` of every message in the stream (an event's id, as the bus publishes it), through a
   * consumer of our own that delivers headers only. Also how many messages were read.
   */
  async readMessageIds(): Promise<{ ids: Set<string>; read: number }> {
    const consumerInfo = await this.manager.consumers.add(this.chaos.streamName, {
      deliver_policy: DeliverPolicy.All,
      ack_policy: AckPolicy.None,
      headers_only: true,
      inactive_threshold: 60_000 * 1_000_000,
    });
    const consumer = await jetstream(this.connection).consumers.get(this.chaos.streamName, consumerInfo.name);
    const ids = new Set<string>();
    let read = 0;
    try {
      while (read < consumerInfo.num_pending) {
        const batch = await consumer.fetch({ max_messages: READ_BATCH * 4, expires: 5_000 });
        let received = 0;
        for await (const message of batch) {
          received += 1;
          const id = message.headers?.get('Nats-Msg-Id');
          if (id) ids.add(id);
        }
        read += received;
        if (received === 0) break;
      }
    } finally {
      await consumer.delete().catch(() => undefined);
    }
    return { ids, read };
  }

  /** Durable consumers with messages not yet delivered or not yet acknowledged, and how many. */
  async unfinishedConsumers(): Promise<Map<string, number>> {
    const unfinished = new Map<string, number>();
    for (const info of await this.manager.consumers.list(this.chaos.streamName).next()) {
      const left = info.num_pending + info.num_ack_pending;
      if (left > 0) unfinished.set(info.name, left);
    }
    return unfinished;
  }

  /** Every message on `<prefix>.dead-letter.>`, from the start of the stream, through a consumer of our own. */
  async readDeadLetters(): Promise<DeadLetter[]> {
    const consumerInfo = await this.manager.consumers.add(this.chaos.streamName, {
      filter_subject: `${this.chaos.subjectPrefix}.dead-letter.>`,
      deliver_policy: DeliverPolicy.All,
      ack_policy: AckPolicy.None,
      inactive_threshold: 60_000 * 1_000_000,
    });
    const consumer = await jetstream(this.connection).consumers.get(this.chaos.streamName, consumerInfo.name);
    const deadLetters: DeadLetter[] = [];
    try {
      while (deadLetters.length < consumerInfo.num_pending) {
        const batch = await consumer.fetch({ max_messages: READ_BATCH, expires: 5_000 });
        let received = 0;
        for await (const message of batch) {
          received += 1;
          deadLetters.push(parseDeadLetter(message.subject, message.string()));
        }
        if (received === 0) break;
      }
    } finally {
      await consumer.delete().catch(() => undefined);
    }
    return deadLetters;
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}

function parseDeadLetter(keptOn: string, text: string): DeadLetter {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { keptOn, reason: `not JSON: ${text.slice(0, 80)}` };
  }
  let eventId: string | undefined;
  try {
    eventId = stringOrUndefined((JSON.parse(String(record.payload)) as { id?: unknown }).id);
  } catch {
    eventId = undefined;
  }
  return {
    keptOn,
    durable: stringOrUndefined(record.durable),
    subject: stringOrUndefined(record.subject),
    streamSequence: typeof record.streamSequence === 'number' ? record.streamSequence : undefined,
    kind: stringOrUndefined(record.kind),
    reason: stringOrUndefined(record.reason),
    eventId,
  };
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
