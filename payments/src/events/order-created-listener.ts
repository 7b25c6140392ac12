import type Stripe from 'stripe';
import { inboxListener, type ListenerDefinition, type Outbox } from '@ticketing/common';
import { applyOrderChange } from '../payments/apply-order-change';

/** order.created → the order replica a payment checks: buyer, price in cents, status. */
export function orderCreatedListener(outbox: Outbox, stripe: Stripe): ListenerDefinition<'order.created'> {
  return inboxListener(outbox, {
    subject: 'order.created',
    durable: 'payments-order-created',
    orderingKey: (event) => event.data.id,
    async apply(data, { tx }) {
      await applyOrderChange(tx, stripe, { kind: 'created', order: data });
    },
  });
}
