import type Stripe from 'stripe';
import type { ListenerDefinition } from '@ticketing/common/bus';
import type { UnitOfWork } from '@ticketing/common/outbox';
import type { ReplicaChanges } from '@ticketing/common/versions';
import type { Subject } from '@ticketing/common/events';
import { orderCancelledListener } from './order-cancelled-listener';
import { orderCreatedListener } from './order-created-listener';
import { orderRestatedListener } from './order-restated-listener';
import { userCreatedListener } from './user-created-listener';
import { userUpdatedListener } from './user-updated-listener';

/**
 * Every listener of the payments service, for `startListeners` (common). The order listeners wake the
 * payments of this process waiting for the order replica (`orderReplicaChanges`, shared with the app).
 */
export function paymentsListeners(
  unitOfWork: UnitOfWork,
  stripe: Stripe,
  orderReplicaChanges: ReplicaChanges,
): ListenerDefinition<Subject>[] {
  return [
    orderCreatedListener(unitOfWork, stripe, orderReplicaChanges),
    orderCancelledListener(unitOfWork, stripe),
    orderRestatedListener(unitOfWork, stripe, orderReplicaChanges),
    userCreatedListener(unitOfWork),
    userUpdatedListener(unitOfWork),
  ];
}
