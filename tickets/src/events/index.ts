import type { ListenerDefinition, Outbox, Subject } from '@ticketing/common';
import { orderCreatedListener } from './order-created-listener';
import { orderCancelledListener } from './order-cancelled-listener';
import { orderCompletedListener } from './order-completed-listener';
import { orderRestatedListener } from './order-restated-listener';
import { userEventsListener } from './user-events-listener';

/** Every listener of the tickets service, for `startListeners` (common). */
export function ticketsListeners(outbox: Outbox): ListenerDefinition<Subject>[] {
  return [
    orderCreatedListener(outbox),
    orderCancelledListener(outbox),
    orderCompletedListener(outbox),
    orderRestatedListener(outbox),
    userEventsListener(outbox),
  ];
}
