import type { EventBus, Outbox, RunningListener } from '@ticketing/common';
import { orderCreatedListener } from './order-created-listener';
import { orderCancelledListener } from './order-cancelled-listener';
import { orderCompletedListener } from './order-completed-listener';
import type { ListenerOptions } from './listener-options';

export type { ListenerOptions } from './listener-options';

/** Binds every listener of the tickets service; stop each one on shutdown. */
export async function startListeners(
  bus: EventBus,
  outbox: Outbox,
  options: ListenerOptions = {},
): Promise<RunningListener[]> {
  return Promise.all([
    bus.listen(orderCreatedListener(outbox, options)),
    bus.listen(orderCancelledListener(outbox, options)),
    bus.listen(orderCompletedListener(outbox, options)),
  ]);
}
