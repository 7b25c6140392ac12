import type { ReplicaChanges } from '@ticketing/common/versions';
import type { HeldTickets } from './held-tickets';

/** Per ticket, the reservation attempt under way in this process (settles, never rejects, when it ends). */
export type AttemptsUnderWay = Map<string, Promise<void>>;

/**
 * Per ticket, the request of the buyer this process is serving first: `answered` settles when its answer is
 * sent, or earlier when `release` is called (it went to wait for something the others need not wait for).
 */
export type RequestsUnderWay = Map<string, { answered: Promise<void>; release: () => void }>;

/**
 * What one orders process remembers about reservations: built once, in service.ts's process state, and
 * handed to the use cases that place and release them. None of it decides who holds a ticket (the partial
 * unique index does, in the database), so every replica keeping its own is correct: see each field, and
 * docs/architecture.md, "Process state".
 */
export interface ReservationMemory {
  /**
   * Tickets this process has just seen held: answers a loser 409 without a transaction. A hint for a
   * refusal only, kept HELD_TICKET_MEMORY_MS at most; stale (a release this process missed on the bus), it refuses
   * for that long, as a read under load would.
   */
  heldTickets: HeldTickets;
  /**
   * Per ticket, the one reservation transaction this process runs at a time: this process's buyers of one
   * ticket queue behind it instead of losing on the index one by one. Across replicas the index decides.
   */
  attemptsUnderWay: AttemptsUnderWay;
  /**
   * Per ticket, the request of the first buyer this process is serving for it: buyers of the same ticket
   * arriving meanwhile wait for its answer, then are refused from memory if it won (see refusalFromMemory),
   * so a burst on one ticket costs one read, one rate-limit count and one transaction, not one each.
   */
  requestsUnderWay: RequestsUnderWay;
  /**
   * Wakes this process's buyers waiting for the ticket replica when this process's listener applies a
   * change; a change another replica applied is found by the waiting buyer's own poll (REPLICA_POLL_MS).
   */
  ticketReplicaChanges: ReplicaChanges;
}
