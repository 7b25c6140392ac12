import type Stripe from 'stripe';
import { inboxListener, type ListenerDefinition, type UnitOfWork, type ReplicaChanges } from '@ticketing/common';
import { applyOrderChange } from '../payments/apply-order-change';

/**
 * order.created → the order replica a payment checks: buyer, price in cents, event start, status. After each
 * commit, payments of this process waiting for the order (the buyer paid right after reserving) are woken.
 */
export function orderCreatedListener(
  unitOfWork: UnitOfWork,
  stripe: Stripe,
  orderReplicaChanges: ReplicaChanges,
): ListenerDefinition<'order.created'> {
  return inboxListener(unitOfWork, {
    subject: 'order.created',
    durable: 'payments-order-created',
    orderingKey: (event) => event.data.id,
    async apply(data, { tx }) {
      await applyOrderChange(tx, stripe, { kind: 'created', order: data });
    },
    afterCommit: (data) => orderReplicaChanges.changed(data.id),
  });
}
