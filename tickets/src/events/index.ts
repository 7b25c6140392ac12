import type { ListenerDefinition, UnitOfWork, Subject } from '@ticketing/common';
import { orderCreatedListener } from './order-created-listener';
import { orderCancelledListener } from './order-cancelled-listener';
import { orderCompletedListener } from './order-completed-listener';
import { orderRestatedListener } from './order-restated-listener';
import { userEventsListener } from './user-events-listener';

/** Every listener of the tickets service, for `startListeners` (common). */
export function ticketsListeners(unitOfWork: UnitOfWork): ListenerDefinition<Subject>[] {
  return [
    orderCreatedListener(unitOfWork),
    orderCancelledListener(unitOfWork),
    orderCompletedListener(unitOfWork),
    orderRestatedListener(unitOfWork),
    userEventsListener(unitOfWork),
  ];
}
