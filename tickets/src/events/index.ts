import type { ListenerDefinition } from '@ticketing/common/bus';
import type { UnitOfWork } from '@ticketing/common/outbox';
import type { Subject } from '@ticketing/common/events';
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
