import type Stripe from 'stripe';
import type { ListenerDefinition, Outbox, Subject } from '@ticketing/common';
import { orderCancelledListener } from './order-cancelled-listener';
import { orderCreatedListener } from './order-created-listener';
import { orderRestatedListener } from './order-restated-listener';
import { userCreatedListener } from './user-created-listener';
import { userUpdatedListener } from './user-updated-listener';

/** Every listener of the payments service, for `startListeners` (common). */
export function paymentsListeners(outbox: Outbox, stripe: Stripe): ListenerDefinition<Subject>[] {
  return [
    orderCreatedListener(outbox, stripe),
    orderCancelledListener(outbox, stripe),
    orderRestatedListener(outbox, stripe),
    userCreatedListener(outbox),
    userUpdatedListener(outbox),
  ];
}
