import type Stripe from 'stripe';
import { inboxListener, type UnitOfWork } from '@ticketing/common/outbox';
import { type ListenerDefinition } from '@ticketing/common/bus';
import { applyOrderChange } from '../payments/apply-order-change';
import { logRefunds } from './log-refunds';

/**
 * order.cancelled → the replica is cancelled (on version N−1 only), and a completed charge of the order is
 * refunded in the same transaction (docs/rules.md#rule-5: a payment that raced the expiry, or a cancel that
 * crossed it). A cancellation before its order.created is retried until the order is known.
 */
export function orderCancelledListener(unitOfWork: UnitOfWork, stripe: Stripe): ListenerDefinition<'order.cancelled'> {
  return inboxListener(unitOfWork, {
    subject: 'order.cancelled',
    durable: 'payments-order-cancelled',
    orderingKey: (event) => event.data.id,
    async apply(data, { tx, logger }) {
      const { refunded } = await applyOrderChange(tx, stripe, {
        kind: 'cancelled',
        orderId: data.id,
        version: data.version,
      });
      logRefunds(logger, refunded);
    },
  });
}
