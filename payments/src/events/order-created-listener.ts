import type Stripe from 'stripe';
import { inboxListener, type UnitOfWork } from '@ticketing/common/outbox';
import { type ListenerDefinition } from '@ticketing/common/bus';
import { type ReplicaChanges } from '@ticketing/common/versions';
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
