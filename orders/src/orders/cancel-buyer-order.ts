import { CancellationReason } from '@ticketing/common/events';
import { ConflictError, NotFoundError } from '@ticketing/common/errors';
import { type UnitOfWork } from '@ticketing/common/outbox';
import { findOrder } from '../db/orders';
import { cancelOrder } from './cancel-order';
import type { ReservationTerms } from './reservation-terms';
import type { ReservationMemory } from './reservation-memory';
import { assertBuyerOwns } from './show-buyer-order';

/**
 * The buyer cancels their order: 404 / 403 as for reading it, 409 once it is complete. Cancelling an
 * order that is already cancelled changes nothing and is not an error. The ticket goes to the first eligible
 * buyer in its waiting list, under `terms`, in the same transaction.
 */
export async function cancelBuyerOrder(
  unitOfWork: UnitOfWork,
  memory: ReservationMemory,
  buyerId: string,
  orderId: string,
  terms: ReservationTerms,
): Promise<void> {
  await unitOfWork.transaction(async (tx, events) => {
    const order = await findOrder(tx, orderId);
    if (!order) throw new NotFoundError('Order not found');
    assertBuyerOwns(order, buyerId);
    const outcome = await cancelOrder({ tx, events }, memory, orderId, terms, CancellationReason.Buyer);
    if (outcome.result === 'complete') throw new ConflictError('Order is complete and cannot be cancelled');
  });
}
