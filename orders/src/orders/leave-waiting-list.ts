import type { Executor } from '@ticketing/common/database';
import { deletePlace } from '../db/waiting-list';

/**
 * The buyer leaves a ticket's waiting list. Leaving a line one is not in (again, or after being handed the
 * ticket) changes nothing and is not an error. A leave and a hand-over of the same place are decided by
 * the place's row lock: a hand-over passes by a place being left; a leave behind a hand-over finds the
 * place gone, and the buyer holds the reservation (which they may cancel).
 */
export async function leaveWaitingList(db: Executor, buyerId: string, ticketId: string): Promise<void> {
  await deletePlace(db, ticketId, buyerId);
}
