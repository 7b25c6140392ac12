import { RetryLaterError, decideVersion, inboxListener, type ListenerDefinition, type Outbox } from '@ticketing/common';
import { findTicket, insertTicket, updateTicket } from '../db/tickets';
import { ticketReplicaChanges } from '../orders/orders';

/** The durables that heard ticket.created and ticket.updated apart before this one consumer replaced them. */
export const RETIRED_TICKET_DURABLES = ['orders-ticket-created', 'orders-ticket-updated'] as const;

/**
 * Keeps the ticket replica, applying `ticket.created` and `ticket.updated` from ONE consumer, in the order
 * the tickets service stored them, and each version only on top of the one before it (DESIGN.md rule 3):
 * an update can no longer overtake its ticket's creation and wait out a retry delay while a buyer orders
 * at the old price. After each commit, buyers of this process waiting for the ticket are woken.
 */
export function ticketEventsListener(outbox: Outbox): ListenerDefinition<'ticket.created' | 'ticket.updated'> {
  const listener = inboxListener(outbox, {
    subject: ['ticket.created', 'ticket.updated'],
    durable: 'orders-ticket-events',
    // One ticket's versions in the order they were stored (no retry delay for an update behind its creation);
    // different tickets side by side.
    orderingKey: (event) => event.data.id,
    async apply(data, { tx, logger }) {
      const replica = await findTicket(tx, data.id);
      switch (decideVersion(replica?.version, data.version)) {
        case 'apply': {
          const { id, title, price, userId, version } = data;
          // ON CONFLICT DO NOTHING / WHERE version = N−1: another instance may have applied it since the read.
          const applied = replica
            ? await updateTicket(tx, id, { title, price, version })
            : await insertTicket(tx, { id, title, price, userId, version });
          if (!applied) throw new RetryLaterError(`ticket ${id} changed while applying version ${version}`);
          return;
        }
        case 'duplicate':
          logger.info(
            { ticketId: data.id, version: data.version, current: replica?.version },
            'ticket version already applied',
          );
          return;
        case 'early':
          throw new RetryLaterError(
            replica
              ? `ticket ${data.id} is at version ${replica.version}, got ${data.version}`
              : `ticket ${data.id} is not known yet, got version ${data.version}`,
          );
      }
    },
  });
  return {
    ...listener,
    async handle(event, context) {
      await listener.handle(event, context);
      // Committed (or already there): a buyer waiting for this ticket reads the replica again now, not at
      // the next poll.
      ticketReplicaChanges.changed(event.data.id);
    },
  };
}
