import { OrderStatus } from '@ticketing/common/events';
import { assertNever } from '@ticketing/common/errors';
import { type EventRecorder } from '@ticketing/common/outbox';
import { type Executor } from '@ticketing/common/database';
import { lockTicket, type LockOutcome } from './lock-ticket';
import { markTicketSold, type Buyer, type SaleOutcome } from './mark-ticket-sold';
import { unlockTicket, type UnlockOutcome } from './unlock-ticket';

/** What `order.restated` did to the ticket: the outcome of the step it took, if any. */
export type ReconcileOutcome = LockOutcome | UnlockOutcome | SaleOutcome;

/**
 * Brings the ticket in line with an order's state as orders restated it: an unpaid order holds the ticket
 * (unless it was released since), a cancelled one does not, a complete one has bought it. Each step is the
 * one the order's own event takes, so applying a restatement any number of times, before or after those
 * events, ends in the same place. A sale recorded before buyers were (an older `order.completed`) learns its
 * buyer here.
 */
export async function reconcileTicketWithOrder(
  tx: Executor,
  events: EventRecorder,
  order: { id: string; ticketId: string; status: OrderStatus; buyer: Buyer },
): Promise<ReconcileOutcome> {
  switch (order.status) {
    case OrderStatus.Created:
      return lockTicket(tx, events, order);
    case OrderStatus.Cancelled:
      return unlockTicket(tx, events, order);
    case OrderStatus.Complete: {
      // A sale whose order.created never arrived: the paid order holds the ticket first, then buys it. A
      // withdrawn ticket is not locked, but a paid order buys it all the same (see markTicketSold).
      const locked = await lockTicket(tx, events, order);
      if (locked === 'held-by-another-order' || locked === 'unknown-ticket') return locked;
      return markTicketSold(tx, events, order);
    }
    default:
      return assertNever(order.status, 'order status');
  }
}
