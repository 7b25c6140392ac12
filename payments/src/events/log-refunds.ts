import type { Logger } from '@ticketing/common/logging';
import type { Charge } from '../db/schema';

/** One line per charge an order listener refunded. */
export function logRefunds(logger: Logger, refunded: readonly Charge[]): void {
  for (const charge of refunded) {
    logger.info({ chargeId: charge.id, stripeRefundId: charge.stripeRefundId }, 'charge of a cancelled order refunded');
  }
}
