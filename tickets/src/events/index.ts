import type { EventBus, Outbox, RunningListener } from '@ticketing/common';
import { orderCreatedListener } from './order-created-listener';
import { orderCancelledListener } from './order-cancelled-listener';
import { orderCompletedListener } from './order-completed-listener';
import { orderRestatedListener } from './order-restated-listener';

/** Binds every listener of the tickets service; stop each one on shutdown. */
export async function startListeners(bus: EventBus, outbox: Outbox): Promise<RunningListener[]> {
  return Promise.all([
    bus.listen(orderCreatedListener(outbox)),
    bus.listen(orderCancelledListener(outbox)),
    bus.listen(orderCompletedListener(outbox)),
    bus.listen(orderRestatedListener(outbox)),
  ]);
}
