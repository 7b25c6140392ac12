import { Router } from 'express';
import { requireAuth, signedInUser, type Outbox } from '@ticketing/common';
import { listBuyerOrders } from '../orders/list-buyer-orders';

export function listOrdersRouter(outbox: Outbox): Router {
  return Router().get('/api/orders', requireAuth, async (req, res) => {
    res.status(200).json(await listBuyerOrders(outbox.db, signedInUser(req).id));
  });
}
