import { Router } from 'express';
import type { Outbox, SharedRateLimits } from '@ticketing/common';
import type { OrdersConfig } from '../config';
import { createOrderRouter } from './create-order';
import { listOrdersRouter } from './list-orders';
import { showOrderRouter } from './show-order';
import { cancelOrderRouter } from './cancel-order';

export function ordersRoutes(outbox: Outbox, config: OrdersConfig, rateLimits: SharedRateLimits): Router {
  return Router().use(
    createOrderRouter(outbox, config, rateLimits),
    listOrdersRouter(outbox),
    showOrderRouter(outbox),
    cancelOrderRouter(outbox),
  );
}
