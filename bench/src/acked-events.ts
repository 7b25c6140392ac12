/**
 * No acknowledged event lost: the goal the NATS faults test. An outbox marks a row sent only after JetStream
 * acknowledged its publish (stored on a quorum of the stream's replicas), and the bus publishes each event
 * with its id as `Nats-Msg-Id`; so every row an outbox holds as sent must be in the stream at the end, under
 * that id, whatever nodes were killed or paused on the way. Besides that, the stream itself: nothing is ever
 * deleted from it (no limits), so its sequences run from 1 to its last with no message missing, and its last
 * sequence never went backwards across a NATS fault (a leader elected without an acknowledged message would
 * hand its sequence out again).
 *
 * What it does not cover: expiration publishes `order.expired` straight from its timer (no outbox, no
 * database); those are covered by the sequence checks only.
 */
import { SERVICES_WITH_DATABASE } from './chaos-stack';
import type { ServiceDatabases } from './databases';
import type { FaultRecord } from './faults';
import { describeFault } from './faults';
import type { StreamInspector, StreamState } from './stream';

export interface AckedEventsCheck {
  /** Rows the outboxes marked sent (acknowledged by JetStream). */
  sentByOutboxes: number;
  /** Messages read back from the stream. */
  readFromStream: number;
  state: StreamState;
  /** One line per problem: an acknowledged event not in the stream, a hole, a sequence gone backwards. */
  lost: string[];
}

/** Lines shown per kind of loss; the count is always whole. */
const SHOWN = 10;

export async function checkAckedEvents(
  databases: ServiceDatabases,
  inspector: StreamInspector,
  faults: readonly FaultRecord[],
): Promise<AckedEventsCheck> {
  const state = await inspector.state();
  const { ids, read } = await inspector.readMessageIds();
  const lost: string[] = [];
  let sentByOutboxes = 0;
  for (const service of SERVICES_WITH_DATABASE) {
    const rows = await databases.query<{ event_id: string; subject: string; sent_at: Date }>(
      service,
      'SELECT event_id, subject, sent_at FROM outbox WHERE sent_at IS NOT NULL ORDER BY sequence',
    );
    sentByOutboxes += rows.length;
    const missing = rows.filter((row) => !ids.has(row.event_id));
    for (const row of missing.slice(0, SHOWN)) {
      lost.push(
        `${service}'s outbox sent ${row.subject} ${row.event_id} at ${row.sent_at.toISOString()}: not in the stream`,
      );
    }
    if (missing.length > SHOWN) lost.push(`… and ${missing.length - SHOWN} more of ${service}'s`);
  }
  const expected = state.lastSequence - state.firstSequence + 1;
  if (state.firstSequence > 1 || state.messages !== expected || state.deleted > 0 || read !== state.messages) {
    lost.push(
      `the stream holds ${state.messages} messages (${read} read back) for sequences ${state.firstSequence}–` +
        `${state.lastSequence}, ${state.deleted} deleted: nothing may be missing`,
    );
  }
  for (const record of faults) {
    const { lastSequenceBefore: before, lastSequenceAfter: after } = record.stream ?? {};
    if (before !== undefined && after !== undefined && after < before) {
      lost.push(`"${describeFault(record.fault)}": the stream's last sequence went back from ${before} to ${after}`);
    }
    if (before !== undefined && after === undefined) {
      lost.push(`"${describeFault(record.fault)}": the stream did not answer within a minute after it`);
    }
  }
  return { sentByOutboxes, readFromStream: read, state, lost };
}
