import { RetryLaterError, decideVersion, type EventData, type Executor } from '@ticketing/common';
import { findTicket, insertTicket, updateTicket } from '../db/tickets';

/** What a ticket's version did to the replica. */
export type TicketChangeOutcome = { result: 'applied' } | { result: 'duplicate'; currentVersion: number | undefined };

/**
 * Keeps the ticket replica: applies the ticket at one version (`ticket.created` or `ticket.updated`, the
 * same payload) only on top of the version before it. A version already applied changes nothing; an
 * early one, or one another instance applied meanwhile, throws RetryLaterError.
 */
export async function applyTicketChange(
  tx: Executor,
  ticket: EventData<'ticket.created' | 'ticket.updated'>,
): Promise<TicketChangeOutcome> {
  const replica = await findTicket(tx, ticket.id);
  switch (decideVersion(replica?.version, ticket.version)) {
    case 'apply': {
      const { id, title, price, userId, version } = ticket;
      // An event from before tickets had a start carries none: the ticket had none then.
      const startsAt = ticket.startsAt ? new Date(ticket.startsAt) : null;
      // ON CONFLICT DO NOTHING / WHERE version = N−1: another instance may have applied it since the read.
      const applied = replica
        ? await updateTicket(tx, id, { title, price, startsAt, version })
        : await insertTicket(tx, { id, title, price, userId, startsAt, version });
      if (!applied) throw new RetryLaterError(`ticket ${id} changed while applying version ${version}`);
      return { result: 'applied' };
    }
    case 'duplicate':
      return { result: 'duplicate', currentVersion: replica?.version };
    case 'early':
      throw new RetryLaterError(
        replica
          ? `ticket ${ticket.id} is at version ${replica.version}, got ${ticket.version}`
          : `ticket ${ticket.id} is not known yet, got version ${ticket.version}`,
      );
  }
}
