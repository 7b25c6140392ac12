import type { ListenerDefinition } from '@ticketing/common/bus';
import type { Subject } from '@ticketing/common/events';
import type { ExpirationQueue } from '../queue/expiration-queue';
import { orderCancelledListener } from './order-cancelled-listener';
import { orderCreatedListener } from './order-created-listener';

/** Every listener of the expiration service, for `startListeners` (common). */
export function expirationListeners(queue: ExpirationQueue): ListenerDefinition<Subject>[] {
  return [orderCreatedListener(queue), orderCancelledListener(queue)];
}
