import { ConflictError, ForbiddenError, NotFoundError } from '@ticketing/common/errors';
import { OrderStatus } from '@ticketing/common/events';
import { type UnitOfWork } from '@ticketing/common/outbox';
import type { WaitingListEntry } from '@ticketing/common/api';
import { findHolderOfTicket } from '../db/orders';
import { findTicket } from '../db/tickets';
import { REPLICA_POLL_MS, TICKET_CHANGED_MESSAGE, TICKET_WITHDRAWN_MESSAGE, waitForReplica } from './create-order';
import { EVENT_STARTED_MESSAGE, eventHasStarted } from './event-start';
import { findPlace, insertPlace, lockTicketLine } from '../db/waiting-list';
import type { ReservationMemory } from './reservation-memory';

export const TICKET_FOR_SALE_MESSAGE = 'The ticket is for sale; buy it instead';
export const TICKET_SOLD_MESSAGE = 'The ticket is sold';
export const TICKET_HELD_BY_YOU_MESSAGE = 'You already hold this ticket';

export interface JoinWaitingListOptions {
  /**
   * The ticket version the buyer's page showed: the place records the price at exactly that version, or the
   * join is refused (409) when the ticket has moved past it. Optional for older clients (then the price now).
   */
  ticketVersion?: number;
  /** How long to wait for the replica to reach `ticketVersion` when it is behind (TICKET_REPLICA_WAIT_MS). */
  replicaWaitMs?: number;
  /** How often the replica is read again while waiting (for another replica's change). */
  replicaPollMs?: number;
}

/**
 * Queues the buyer for a ticket another buyer holds, at the price they saw: when the holding order is
 * cancelled or expires, the first eligible buyer in line is handed a reservation (handOverTicket), never at a
 * price above the one their place records. Joining again changes nothing and answers the same place.
 *
 * 404 for a ticket this service does not know, 403 for the buyer's own listing, 409 when no order holds the
 * ticket (buy it instead), when it is sold or withdrawn, when its event has started, when the buyer holds it,
 * or when it moved past `ticketVersion` ("review the new price": the seller may have edited it since the page
 * showed it, and the place must not record a price the buyer never saw). A replica behind `ticketVersion` is
 * waited for, as a reservation does (503 past `replicaWaitMs`). Takes the ticket's line lock first, the one a
 * hand-over takes: a join and a release of the same ticket never interleave, so nobody joins the line of a
 * ticket that has just been freed, and positions follow the order people joined in.
 */
export async function joinWaitingList(
  unitOfWork: UnitOfWork,
  { ticketReplicaChanges }: Pick<ReservationMemory, 'ticketReplicaChanges'>,
  buyerId: string,
  ticketId: string,
  { ticketVersion, replicaWaitMs = 2_000, replicaPollMs = REPLICA_POLL_MS }: JoinWaitingListOptions = {},
): Promise<WaitingListEntry> {
  if (ticketVersion !== undefined) {
    const replica = await findTicket(unitOfWork.db, ticketId);
    if (replica && replica.version < ticketVersion) {
      await waitForReplica(unitOfWork.db, ticketReplicaChanges, ticketId, ticketVersion, {
        waitMs: replicaWaitMs,
        pollMs: replicaPollMs,
      });
    }
  }
  return unitOfWork.transaction(async (tx) => {
    const ticket = await lockTicketLine(tx, ticketId);
    if (!ticket) throw new NotFoundError('Ticket not found');
    if (ticket.userId === buyerId) throw new ForbiddenError('You cannot queue for your own ticket');
    if (ticket.withdrawn) throw new ConflictError(TICKET_WITHDRAWN_MESSAGE);
    if (eventHasStarted(ticket)) throw new ConflictError(EVENT_STARTED_MESSAGE);
    const holder = await findHolderOfTicket(tx, ticketId);
    if (!holder) throw new ConflictError(TICKET_FOR_SALE_MESSAGE);
    if (holder.status === OrderStatus.Complete) throw new ConflictError(TICKET_SOLD_MESSAGE);
    if (holder.userId === buyerId) throw new ConflictError(TICKET_HELD_BY_YOU_MESSAGE);
    // Under the line's lock: the price recorded is the one at the version the buyer saw, or nothing.
    if (ticketVersion !== undefined && ticket.version !== ticketVersion)
      throw new ConflictError(TICKET_CHANGED_MESSAGE);

    await insertPlace(tx, { ticketId, userId: buyerId, price: ticket.price, ticketVersion: ticket.version });
    const place = await findPlace(tx, ticketId, buyerId);
    if (!place) throw new Error(`place of ${buyerId} for ticket ${ticketId} vanished under the line's lock`);
    return { ticketId, position: place.position };
  });
}
