import { RetryLaterError, decideVersion, inboxListener, type Outbox } from '@ticketing/common';
import { findTicket, updateTicket } from '../db/tickets';

/**
 * Applies a ticket's new title and price, in the owner's version order (DESIGN.md rule 3): version N only
 * on top of N−1; an earlier one is a duplicate, a later one waits for the versions in between.
 */
export function ticketUpdatedListener(outbox: Outbox) {
  return inboxListener(outbox, {
    subject: 'ticket.updated',
    durable: 'orders-ticket-updated',
    async apply(data, { tx, logger }) {
      const replica = await findTicket(tx, data.id);
      switch (decideVersion(replica?.version, data.version)) {
        case 'apply': {
          const updated = await updateTicket(tx, data.id, {
            title: data.title,
            price: data.price,
            version: data.version,
          });
          // Another instance applied a version meanwhile: decide again on a fresh read.
          if (!updated) throw new RetryLaterError(`ticket ${data.id} changed while applying version ${data.version}`);
          return;
        }
        case 'duplicate':
          logger.info({ ticketId: data.id, version: data.version, current: replica?.version }, 'stale ticket version');
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
}
