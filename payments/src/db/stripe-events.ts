import type { Executor } from '@ticketing/common/database';
import { stripeEvents } from './schema';

/**
 * Records a Stripe event id; resolves to false when it was already recorded (a redelivery). Called in the
 * transaction of the event's effect, so a failed effect leaves no record and Stripe's retry runs it again.
 */
export async function recordStripeEvent(tx: Executor, id: string): Promise<boolean> {
  const inserted = await tx
    .insert(stripeEvents)
    .values({ id })
    .onConflictDoNothing({ target: stripeEvents.id })
    .returning({ id: stripeEvents.id });
  return inserted.length > 0;
}
