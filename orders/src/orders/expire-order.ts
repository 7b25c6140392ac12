import { cancelOrder, type CancelOutcome } from './cancel-order';
import type { WriteScope } from './write-scope';

/**
 * The buyer's time is up (expiration's `order.expired`): cancel the order and free the ticket, unless it
 * was paid in time. An order cancelled already changes nothing.
 */
export function expireOrder(scope: WriteScope, orderId: string): Promise<CancelOutcome> {
  return cancelOrder(scope, orderId);
}
