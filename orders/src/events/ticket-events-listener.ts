import { inboxListener, type UnitOfWork } from '@ticketing/common/outbox';
import { type ListenerDefinition } from '@ticketing/common/bus';
import { applyTicketChange } from '../orders/apply-ticket-change';
import type { ReservationTerms } from '../orders/reservation-terms';
import type { ReservationMemory } from '../orders/reservation-memory';

/** The durables that heard ticket.created and ticket.updated apart before this one consumer replaced them. */
export const RETIRED_TICKET_DURABLES = ['orders-ticket-created', 'orders-ticket-updated'] as const;

/**
 * Keeps the ticket replica, applying `ticket.created` and `ticket.updated` from ONE consumer, in the order
 * the tickets service stored them, and each version only on top of the one before it (docs/rules.md#rule-3):
 * an update can no longer overtake its ticket's creation and wait out a retry delay while a buyer orders
 * at the old price. After each commit, buyers of this process waiting for the ticket are woken.
 */
export function ticketEventsListener(
  unitOfWork: UnitOfWork,
  terms: ReservationTerms,
  memory: ReservationMemory,
): ListenerDefinition<'ticket.created' | 'ticket.updated'> {
  return inboxListener(unitOfWork, {
    subject: ['ticket.created', 'ticket.updated'],
    durable: 'orders-ticket-events',
    // One ticket's versions in the order they were stored (no retry delay for an update behind its creation);
    // different tickets side by side.
    orderingKey: (event) => event.data.id,
    async apply(data, { tx, events, logger }) {
      const outcome = await applyTicketChange(tx, events, memory, data, terms);
      if (outcome.result === 'applied' && outcome.cancelledOrderIds.length > 0) {
        logger.info(
          { ticketId: data.id, orderIds: outcome.cancelledOrderIds },
          'orders of a withdrawn ticket cancelled',
        );
      }
      if (outcome.result === 'duplicate') {
        logger.info(
          { ticketId: data.id, version: data.version, current: outcome.currentVersion },
          'ticket version already applied',
        );
      }
    },
    // Committed (or already there): a buyer waiting for this ticket reads the replica again now, not at
    // the next poll.
    afterCommit: (data) => memory.ticketReplicaChanges.changed(data.id),
  });
}
