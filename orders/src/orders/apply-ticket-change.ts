import { RetryLaterError } from '@ticketing/common/bus';
import { decideVersion } from '@ticketing/common/versions';
import { type EventData } from '@ticketing/common/events';
import { type EventRecorder } from '@ticketing/common/outbox';
import { type Executor } from '@ticketing/common/database';
import { listOrderIdsOfTicket } from '../db/orders';
import { findTicket, insertTicket, updateTicket } from '../db/tickets';
import { cancelOrder } from './cancel-order';
import { UNPAID } from './order-transitions';
import type { ReservationMemory } from './reservation-memory';
import type { ReservationTerms } from './reservation-terms';

/** What a ticket's version did to the replica. */
export type TicketChangeOutcome =
  /** Applied; `cancelledOrderIds` are the unpaid orders of a ticket its seller withdrew. */
  { result: 'applied'; cancelledOrderIds: string[] } | { result: 'duplicate'; currentVersion: number | undefined };

/**
 * Keeps the ticket replica: applies the ticket at one version (`ticket.created` or `ticket.updated`, the
 * same payload) only on top of the version before it. A version already applied changes nothing; an
 * early one, or one another instance applied meanwhile, throws RetryLaterError.
 *
 * A withdrawn ticket is no longer buyable. An order placed here before the withdrawal arrived may have
 * reached tickets after it (tickets then never locks for it): such an unpaid order is cancelled now, in the
 * same transaction, so that no order holds a ticket that is off sale. The replica's row lock taken by this
 * update, and the share lock a reservation takes (create-order.ts), keep a reservation from slipping between.
 */
export async function applyTicketChange(
  tx: Executor,
  events: EventRecorder,
  memory: ReservationMemory,
  ticket: EventData<'ticket.created' | 'ticket.updated'>,
  terms: ReservationTerms,
): Promise<TicketChangeOutcome> {
  const replica = await findTicket(tx, ticket.id);
  switch (decideVersion(replica?.version, ticket.version)) {
    case 'apply': {
      const { id, title, price, userId, version } = ticket;
      const withdrawn = ticket.withdrawn ?? false;
      // An event from before tickets had a start carries none: the ticket had none then.
      const startsAt = ticket.startsAt ? new Date(ticket.startsAt) : null;
      // ON CONFLICT DO NOTHING / WHERE version = N−1: another instance may have applied it since the read.
      const applied = replica
        ? await updateTicket(tx, id, { title, price, startsAt, withdrawn, version })
        : await insertTicket(tx, { id, title, price, userId, startsAt, withdrawn, version });
      if (!applied) throw new RetryLaterError(`ticket ${id} changed while applying version ${version}`);
      const cancelledOrderIds: string[] = [];
      if (withdrawn) {
        for (const orderId of await listOrderIdsOfTicket(tx, id, UNPAID)) {
          const outcome = await cancelOrder({ tx, events }, memory, orderId, terms);
          if (outcome.result === 'cancelled') cancelledOrderIds.push(orderId);
        }
      }
      return { result: 'applied', cancelledOrderIds };
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
