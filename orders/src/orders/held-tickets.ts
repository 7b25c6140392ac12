import type { ErrorEnvelope } from '@ticketing/common/api';
import type { ReservationMemory } from './reservation-memory';

/**
 * What this process has just seen about who holds a ticket, so that the nine buyers in ten who lose a
 * flash sale are answered 409 without a database read, a rate-limit round trip or a transaction.
 *
 * Only ever a hint for a refusal, never for a win: an order is still placed only by the insert that the
 * partial unique index lets through. A ticket is remembered as held when this process saw it held (the
 * read before a reservation, a unique violation, or its own new order), for `ttlMs` at most; every
 * cancellation in this process forgets it at once. A ticket released by another replica is answered
 * "already reserved" for at most `ttlMs` more, the same staleness any read has under load.
 */
export class HeldTickets {
  /** Ticket id → the moment (ms since the epoch) until which it counts as held. */
  private readonly until = new Map<string, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  isHeld(ticketId: unknown): boolean {
    if (typeof ticketId !== 'string') return false;
    const until = this.until.get(ticketId);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.until.delete(ticketId);
    return false;
  }

  remember(ticketId: string): void {
    if (this.ttlMs <= 0) return;
    // Re-inserted at the end, so the first entry is always the oldest: the one dropped when full.
    this.until.delete(ticketId);
    if (this.until.size >= this.maxEntries) {
      const oldest = this.until.keys().next();
      if (!oldest.done) this.until.delete(oldest.value);
    }
    this.until.set(ticketId, this.now() + this.ttlMs);
  }

  forget(ticketId: string): void {
    this.until.delete(ticketId);
  }

  /** Forgets every ticket: what made them held may have changed unseen (the bus was away). */
  clear(): void {
    this.until.clear();
  }

  get size(): number {
    return this.until.size;
  }
}

/**
 * How long a ticket seen held is answered "already reserved" from memory by default (HELD_TICKET_MEMORY_MS).
 * Every replica's cancellation reaches the memory on the bus at once, so this bounds only a release whose
 * event this process missed; a flash sale's buyers of one ticket keep coming for as long as it lasts (ten
 * seconds and more), and a memory of 2 s sent one of them in four through a transaction.
 */
export const DEFAULT_HELD_TICKET_MEMORY_MS = 30_000;

/** What a buyer hears when another order holds the ticket, from memory or from the unique index. */
export const ALREADY_RESERVED_MESSAGE = 'Ticket is already reserved';

/**
 * The answer for a ticket this process has just seen held, or undefined: the envelope a thrown
 * ConflictError would give, built without an Error (whose stack trace is a good part of a refusal's cost).
 */
export function knownHeldRefusal(heldTickets: HeldTickets, ticketId: unknown): ErrorEnvelope | undefined {
  return heldTickets.isHeld(ticketId) ? { errors: [{ message: ALREADY_RESERVED_MESSAGE }] } : undefined;
}

/**
 * The refusal a buyer gets from this process's memory alone, or undefined when only the database can tell:
 * a ticket just seen held is refused at once; while another buyer's request for the same ticket (or its
 * reservation attempt) is under way here, this one waits for it and is refused if it won. Neither asks
 * Redis or PostgreSQL, so a losing buyer costs no round trip and no rate-limit count (the route asks this
 * first). A buyer who finds nothing under way leads: the route registers its request (leadBuyersOf).
 */
export async function refusalFromMemory(
  { heldTickets, attemptsUnderWay, requestsUnderWay }: ReservationMemory,
  ticketId: unknown,
): Promise<ErrorEnvelope | undefined> {
  const refusal = knownHeldRefusal(heldTickets, ticketId);
  if (refusal !== undefined || typeof ticketId !== 'string') return refusal;
  const underWay = requestsUnderWay.get(ticketId)?.answered ?? attemptsUnderWay.get(ticketId);
  if (underWay === undefined) return undefined;
  await underWay;
  // Waited once at most: a leader that did not win (its own ticket, a version the replica lacks, its rate
  // limit) says nothing of the others, who go on by themselves.
  return knownHeldRefusal(heldTickets, ticketId);
}

/**
 * Makes this request the one its ticket's later buyers wait for (see refusalFromMemory) until its answer is
 * sent, unless another already leads. `whenAnswered` registers the callback for the end of the request.
 */
export function leadBuyersOf(
  requestsUnderWay: ReservationMemory['requestsUnderWay'],
  ticketId: unknown,
  whenAnswered: (done: () => void) => void,
): void {
  if (typeof ticketId !== 'string' || requestsUnderWay.has(ticketId)) return;
  let settle!: () => void;
  const answered = new Promise<void>((resolve) => (settle = resolve));
  const lead = {
    answered,
    release: () => {
      if (requestsUnderWay.get(ticketId) === lead) requestsUnderWay.delete(ticketId);
      settle();
    },
  };
  requestsUnderWay.set(ticketId, lead);
  whenAnswered(lead.release);
}

/**
 * Lets the ticket's waiting buyers go on by themselves: its leader is about to wait for something that is
 * its own (the replica reaching the version it saw), and nobody is held behind that.
 */
export function releaseBuyersOf(requestsUnderWay: ReservationMemory['requestsUnderWay'], ticketId: string): void {
  requestsUnderWay.get(ticketId)?.release();
}
