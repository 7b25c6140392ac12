import type Stripe from 'stripe';
import type { EventBus, Outbox, RunningListener } from '@ticketing/common';
import { orderCancelledListener } from './order-cancelled-listener';
import { orderCreatedListener } from './order-created-listener';
import { orderRestatedListener } from './order-restated-listener';
import { userCreatedListener } from './user-created-listener';
import { userUpdatedListener } from './user-updated-listener';

export {
  orderCancelledListener,
  orderCreatedListener,
  orderRestatedListener,
  userCreatedListener,
  userUpdatedListener,
};

/** Starts every listener of the payments service; payments publishes charge.created through the outbox. */
export async function startListeners(bus: EventBus, outbox: Outbox, stripe: Stripe): Promise<RunningListener[]> {
  return Promise.all([
    bus.listen(orderCreatedListener(outbox, stripe)),
    bus.listen(orderCancelledListener(outbox, stripe)),
    bus.listen(orderRestatedListener(outbox, stripe)),
    bus.listen(userCreatedListener(outbox)),
    bus.listen(userUpdatedListener(outbox)),
  ]);
}
