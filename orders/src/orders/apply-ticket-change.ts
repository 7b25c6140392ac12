import { RetryLaterError } from '@ticketing/common/bus';
import { decideVersion } from '@ticketing/common/versions';
import { CancellationReason, type EventData } from '@ticketing/common/events';
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
  const { id, title, price, userId, version } = ticket;
  const withdrawn = ticket.withdrawn ?? false;
  // An event from before tickets had a start carries none: the ticket had none then.
  const startsAt = ticket.startsAt ? new Date(ticket.startsAt) : null;
  // The usual case in one statement: version 0 inserted unless known (ON CONFLICT DO NOTHING), version N
  // written only on N−1. Either matches exactly when the version applies; when it matches nothing, the
  // replica is read to tell a duplicate from an early version.
  const applied =
    version === 0
      ? await insertTicket(tx, { id, title, price, userId, startsAt, withdrawn, version })
      : await updateTicket(tx, id, { title, price, startsAt, withdrawn, version });
  if (applied) {
    const cancelledOrderIds: string[] = [];
    if (withdrawn) {
      for (const orderId of await listOrderIdsOfTicket(tx, id, UNPAID)) {
        const outcome = await cancelOrder({ tx, events }, memory, orderId, terms, CancellationReason.Withdrawn);
        if (outcome.result === 'cancelled') cancelledOrderIds.push(orderId);
      }
    }
    return { result: 'applied', cancelledOrderIds };
  }
  const replica = await findTicket(tx, id);
  switch (decideVersion(replica?.version, version)) {
    case 'apply':
      // Another instance was writing it: the replica is not at N−1 any more, or not yet.
      throw new RetryLaterError(`ticket ${id} changed while applying version ${version}`);
    case 'duplicate':
      return { result: 'duplicate', currentVersion: replica?.version };
    case 'early':
      throw new RetryLaterError(
        replica
          ? `ticket ${id} is at version ${replica.version}, got ${version}`
          : `ticket ${id} is not known yet, got version ${version}`,
      );
  }
}
