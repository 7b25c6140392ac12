import type { EventBus, RunningListener } from '@ticketing/common';
import type { ExpirationQueue } from '../expiration-queue';
import { orderCancelledListener } from './order-cancelled-listener';
import { orderCreatedListener } from './order-created-listener';

export { orderCancelledListener } from './order-cancelled-listener';
export { orderCreatedListener } from './order-created-listener';

/** Binds expiration's durable consumers; stop each on shutdown before closing the queue. */
export function startListeners(bus: EventBus, queue: ExpirationQueue): Promise<RunningListener[]> {
  return Promise.all([bus.listen(orderCreatedListener(queue)), bus.listen(orderCancelledListener(queue))]);
}
