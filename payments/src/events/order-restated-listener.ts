import type Stripe from 'stripe';
import { inboxListener, type UnitOfWork } from '@ticketing/common/outbox';
import { type ListenerDefinition } from '@ticketing/common/bus';
import { type ReplicaChanges } from '@ticketing/common/versions';
import { applyOrderChange } from '../payments/apply-order-change';
import { logRefunds } from './log-refunds';

/**
 * order.restated → a state transfer onto the replica: an unknown order is inserted at that state, an
 * older version is overwritten (gaps and all), a version already held changes nothing. A replica that
 * missed an order.cancelled converges this way, and the order's completed charges are refunded. An order
 * first heard this way wakes the payments of this process waiting for it, as order.created does.
 */
export function orderRestatedListener(
  unitOfWork: UnitOfWork,
  stripe: Stripe,
  orderReplicaChanges: ReplicaChanges,
): ListenerDefinition<'order.restated'> {
  return inboxListener(unitOfWork, {
    subject: 'order.restated',
    durable: 'payments-order-restated',
    orderingKey: (event) => event.data.id,
    async apply(data, { tx, logger }) {
      const { applied, refunded } = await applyOrderChange(tx, stripe, { kind: 'restated', order: data });
      // A restatement that changes the replica means an event was missed or is late: worth a line.
      if (applied) logger.info({ orderId: data.id, status: data.status, version: data.version }, 'order restated');
      logRefunds(logger, refunded);
    },
    afterCommit: (data) => orderReplicaChanges.changed(data.id),
  });
}
