import { Router } from 'express';
import type { Outbox, SharedRateLimits } from '@ticketing/common';
import type { OrdersConfig } from '../config';
import { createOrderRouter } from './create-order';
import { listOrdersRouter } from './list-orders';
import { showOrderRouter } from './show-order';
import { cancelOrderRouter } from './cancel-order';
import { streamOrderRouter } from './stream-order';
import type { LiveOrders } from '../orders/live-orders';

export function ordersRoutes(
  outbox: Outbox,
  config: OrdersConfig,
  rateLimits: SharedRateLimits,
  liveOrders: LiveOrders,
): Router {
  return Router().use(
    createOrderRouter(outbox, config, rateLimits),
    listOrdersRouter(outbox),
    showOrderRouter(outbox),
    streamOrderRouter(liveOrders),
    cancelOrderRouter(outbox),
  );
}
