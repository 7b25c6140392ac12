import type Stripe from 'stripe';
import { OrderStatus, type Executor } from '@ticketing/common';
import { lockUnrefundedCompletedCharges } from '../db/charges';
import { lockOrder } from '../db/orders';
import type { Charge } from '../db/schema';
import { refundCharge } from './refund-charge';

/**
 * The refund decision (DESIGN.md rule 5), made in one place: a cancelled order keeps no money. When the
 * order's replica is cancelled, every completed charge of it without a refund is refunded; otherwise
 * nothing happens. Resolves to the charges refunded now.
 *
 * Everything that can leave a cancelled order with money runs this inside its own transaction, after its
 * change: the order.cancelled and order.restated listeners (the order became cancelled), completing a
 * charge (the money arrived after the cancellation), and the refund backstop (anything else). It takes
 * the order's row lock first, as every money decision does, so a payment of the same order waits.
 */
export async function refundCancelledOrder(tx: Executor, stripe: Stripe, orderId: string): Promise<Charge[]> {
  const order = await lockOrder(tx, orderId);
  if (order?.status !== OrderStatus.Cancelled) return [];
  const refunded: Charge[] = [];
  for (const charge of await lockUnrefundedCompletedCharges(tx, orderId)) {
    refunded.push(await refundCharge(tx, stripe, charge));
  }
  return refunded;
}
