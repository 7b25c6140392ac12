import { RetryLaterError, decideVersion, inboxListener, type Outbox } from '@ticketing/common';
import { findTicket, insertTicket } from '../db/tickets';

/** Adds a ticket to the replica, so it can be ordered. */
export function ticketCreatedListener(outbox: Outbox) {
  return inboxListener(outbox, {
    subject: 'ticket.created',
    durable: 'orders-ticket-created',
    async apply(data, { tx, logger }) {
      const replica = await findTicket(tx, data.id);
      switch (decideVersion(replica?.version, data.version)) {
        case 'apply':
          // ON CONFLICT DO NOTHING: another instance may have inserted it since the read.
          await insertTicket(tx, {
            id: data.id,
            title: data.title,
            price: data.price,
            userId: data.userId,
            version: data.version,
          });
          return;
        case 'duplicate':
          logger.info({ ticketId: data.id, version: data.version }, 'ticket already known');
          return;
        case 'early':
          throw new RetryLaterError(`ticket ${data.id} created at version ${data.version}, expected 0`);
      }
    },
  });
}
