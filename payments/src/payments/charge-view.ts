import type { Charge as ApiCharge } from '@ticketing/common/api';
import type { Charge } from '../db/schema';

/** A charge as the API shows it (docs/openapi.yaml): the amount stays integer cents, `stripeId` may be null. */
export type ChargeView = ApiCharge;

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
