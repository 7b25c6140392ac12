import { CancellationReason } from '@ticketing/common/events';
import { cancelOrder, type CancelOutcome } from './cancel-order';
import type { ReservationTerms } from './reservation-terms';
import type { ReservationMemory } from './reservation-memory';
import type { WriteScope } from '@ticketing/common/outbox';

/**
 * The buyer's time is up (expiration's `order.expired`): cancel the order and free the ticket, or hand it to
 * the first eligible buyer in its waiting list, unless it was paid in time. An order cancelled already
 * changes nothing.
 */
export function expireOrder(
  scope: WriteScope,
  memory: ReservationMemory,
  orderId: string,
  terms: ReservationTerms,
): Promise<CancelOutcome> {
  return cancelOrder(scope, memory, orderId, terms, CancellationReason.Expired);
}
