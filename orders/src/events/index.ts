import type { ListenerDefinition } from '@ticketing/common/bus';
import type { UnitOfWork } from '@ticketing/common/outbox';
import type { Subject } from '@ticketing/common/events';
import type { ReservationMemory } from '../orders/reservation-memory';
import type { ReservationTerms } from '../orders/reservation-terms';
import { chargeCreatedListener } from './charge-created-listener';
import { orderExpiredListener } from './order-expired-listener';
import { RETIRED_TICKET_DURABLES, ticketEventsListener } from './ticket-events-listener';

/**
 * Every listener of the orders service, for `startListeners` (common); `terms` are those of the reservations
 * handed to waiting lists when an expiry or a declined payment releases a ticket; `memory`, this process's
 * reservation memory (a release forgets a held ticket, a replica change wakes its waiting buyers).
 */
export function ordersListeners(
  unitOfWork: UnitOfWork,
  terms: ReservationTerms,
  memory: ReservationMemory,
): ListenerDefinition<Subject>[] {
  return [
    ticketEventsListener(unitOfWork, terms, memory),
    orderExpiredListener(unitOfWork, terms, memory),
    chargeCreatedListener(unitOfWork, terms, memory),
  ];
}

/** Durables orders no longer binds, deleted at start (see `startListeners`). */
export const ORDERS_RETIRED_DURABLES: readonly string[] = RETIRED_TICKET_DURABLES;
