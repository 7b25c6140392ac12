import type { ListenerDefinition, Outbox, Subject } from '@ticketing/common';
import { chargeCreatedListener } from './charge-created-listener';
import { orderExpiredListener } from './order-expired-listener';
import { RETIRED_TICKET_DURABLES, ticketEventsListener } from './ticket-events-listener';

/** Every listener of the orders service, for `startListeners` (common). */
export function ordersListeners(outbox: Outbox): ListenerDefinition<Subject>[] {
  return [ticketEventsListener(outbox), orderExpiredListener(outbox), chargeCreatedListener(outbox)];
}

/** Durables orders no longer binds, deleted at start (see `startListeners`). */
export const ORDERS_RETIRED_DURABLES: readonly string[] = RETIRED_TICKET_DURABLES;
