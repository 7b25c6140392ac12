import { LiveViews, startLiveFeed, type LiveFeed, type LiveStreamSettings } from '@ticketing/common/live';
import { NotFoundError } from '@ticketing/common/errors';
import { type EventBus } from '@ticketing/common/bus';
import { type Executor } from '@ticketing/common/database';
import { type Logger } from '@ticketing/common/logging';
import { selectOrdersWithTicketsByIds } from '../db/orders-by-id';
import type { HeldTickets } from './held-tickets';
import { toOrderView, type OrderView } from './order-view';
import { assertBuyerOwns } from './show-buyer-order';

/** This process's live orders: the streams its buyers hold open, by order id. */
export type LiveOrders = LiveViews<OrderView>;

/**
 * Live orders read from this service's database, as `GET /api/orders/:id` shows them: orders owns an
 * order's status, so the order page follows the order itself (created → complete once paid, cancelled on
 * expiry or decline), not the ticket mirrored from it in another service.
 */
export function createLiveOrders(db: Executor, settings: LiveStreamSettings, logger: Logger): LiveOrders {
  return new LiveViews<OrderView>({
    eventName: 'order',
    load: async (ids) => (await selectOrdersWithTicketsByIds(db, ids)).map((row) => toOrderView(row.order, row.ticket)),
    ...settings,
    logger,
  });
}

/**
 * Every change of an order is one of these, with its new version (orders publishes them from its outbox);
 * `order.restated` repeats a version already seen, unless this process missed one.
 *
 * The same events tell this process's memory of held tickets what every replica did: a new order's ticket
 * is held (its later buyers here are refused without a read), a cancelled order's is not (the next buyer
 * here is served at once, not after the memory's time). Only ever a hint for a refusal, as in HeldTickets;
 * after an outage of the connection, when cancellations may have been missed, it forgets everything.
 */
export function startOrderFeed(bus: EventBus, orders: LiveOrders, logger: Logger, heldTickets?: HeldTickets): LiveFeed {
  return startLiveFeed({
    bus,
    subjects: ['order.created', 'order.cancelled', 'order.completed', 'order.restated'],
    changeOf: (event) => {
      if (event.subject === 'order.created') heldTickets?.remember(event.data.ticket.id);
      else if (event.subject === 'order.cancelled') heldTickets?.forget(event.data.ticket.id);
      return { id: event.data.id, version: event.data.version };
    },
    views: orders,
    logger,
    onReconnect: () => heldTickets?.clear(),
  });
}

/** Only its buyer may watch an order: 404 when unknown, 403 when it is someone else's, as for reading it. */
export function assertBuyerCanWatch(views: ReadonlyMap<string, OrderView>, orderId: string, buyerId: string): void {
  const order = views.get(orderId);
  if (!order) throw new NotFoundError('Order not found');
  assertBuyerOwns(order, buyerId);
}
