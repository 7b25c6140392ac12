import { CancellationReason, ChargeStatus, type EventData } from '@ticketing/common/events';
import { assertNever } from '@ticketing/common/errors';
import { cancelOrder, type CancelOutcome } from './cancel-order';
import { completeOrder, type CompleteOutcome } from './complete-order';
import type { ReservationTerms } from './reservation-terms';
import type { ReservationMemory } from './reservation-memory';
import type { WriteScope } from '@ticketing/common/outbox';

/** What a payment attempt's outcome did to its order. */
export type PaymentOutcome =
  | { status: typeof ChargeStatus.Completed; order: CompleteOutcome }
  | { status: typeof ChargeStatus.Failed; order: CancelOutcome }
  /** Not an outcome yet; the payments service publishes the final one. */
  | { status: typeof ChargeStatus.Created };

/**
 * A payment attempt ended: a completed charge makes the order complete (the ticket is sold); a failed one
 * cancels it and frees the ticket (or hands it to the first eligible buyer in its waiting list, under
 * `terms`). A charge completed for an order cancelled meanwhile leaves it cancelled: the payments service
 * refunds that charge (docs/rules.md#rule-5).
 */
export async function applyPaymentOutcome(
  scope: WriteScope,
  memory: ReservationMemory,
  charge: EventData<'charge.created'>,
  terms: ReservationTerms,
): Promise<PaymentOutcome> {
  switch (charge.status) {
    case ChargeStatus.Completed:
      return { status: charge.status, order: await completeOrder(scope, charge.orderId) };
    case ChargeStatus.Failed:
      return {
        status: charge.status,
        order: await cancelOrder(scope, memory, charge.orderId, terms, CancellationReason.Declined),
      };
    case ChargeStatus.Created:
      return { status: charge.status };
    default:
      return assertNever(charge.status, 'charge status');
  }
}
