import { Router } from 'express';
import { perUser, type SharedRateLimits } from '@ticketing/common/middleware';
import { type UnitOfWork } from '@ticketing/common/outbox';
import type { OrdersConfig } from '../config';
import { createOrderRouter } from './create-order';
import { listOrdersRouter } from './list-orders';
import { showOrderRouter } from './show-order';
import { cancelOrderRouter } from './cancel-order';
import { streamOrderRouter } from './stream-order';
import type { LiveOrders } from '../orders/live-orders';
import type { ReservationMemory } from '../orders/reservation-memory';
import { joinWaitingListRouter } from './join-waiting-list';
import { listWaitingListRouter } from './list-waiting-list';
import { leaveWaitingListRouter } from './leave-waiting-list';

export function ordersRoutes(
  unitOfWork: UnitOfWork,
  config: OrdersConfig,
  rateLimits: SharedRateLimits,
  liveOrders: LiveOrders,
  memory: ReservationMemory,
): Router {
  // Joining and leaving count together, like reservation attempts: toggling a place is no way around it.
  const waitingListLimit = rateLimits.limit({
    name: 'orders-waitlist',
    points: config.ORDER_RATE_LIMIT_PER_MINUTE,
    windowSeconds: 60,
    key: perUser,
    message: 'Too many waiting list changes; please wait a minute',
  });
  return Router().use(
    createOrderRouter(unitOfWork, config, rateLimits, memory),
    listOrdersRouter(unitOfWork),
    // Before GET /api/orders/:id, which would take "waitlist" for a malformed order id.
    joinWaitingListRouter(unitOfWork, config, waitingListLimit, memory),
    listWaitingListRouter(unitOfWork),
    leaveWaitingListRouter(unitOfWork, waitingListLimit),
    showOrderRouter(unitOfWork),
    streamOrderRouter(liveOrders),
    cancelOrderRouter(unitOfWork, config, memory),
  );
}
