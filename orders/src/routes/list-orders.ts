import { Router } from 'express';
import { requireAuth, signedInUser } from '@ticketing/common/middleware';
import { type UnitOfWork } from '@ticketing/common/outbox';
import { listBuyerOrders } from '../orders/list-buyer-orders';

export function listOrdersRouter(unitOfWork: UnitOfWork): Router {
  return Router().get('/api/orders', requireAuth, async (req, res) => {
    res.status(200).json(await listBuyerOrders(unitOfWork.db, signedInUser(req).id));
  });
}
