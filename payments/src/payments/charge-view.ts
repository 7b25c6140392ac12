import type { ChargeStatus } from '@ticketing/common';
import type { Charge } from '../db/schema';

/** A charge as the API shows it (DESIGN.md): the amount stays integer cents. */
export interface ChargeView {
  id: string;
  orderId: string;
  status: ChargeStatus;
  amount: number;
  /** The PaymentIntent's id; null while the attempt's outcome is not known. */
  stripeId: string | null;
  /** Set once the charge was refunded (its order ended cancelled). */
  stripeRefundId: string | null;
}

export function toChargeView(charge: Charge): ChargeView {
  return {
    id: charge.id,
    orderId: charge.orderId,
    status: charge.status,
    amount: charge.amount,
    stripeId: charge.stripeId,
    stripeRefundId: charge.stripeRefundId,
  };
}
