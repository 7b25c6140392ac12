import { Router } from 'express';
import { requireAuth, requireUuidParam, signedInUser } from '@ticketing/common/middleware';
import { type UnitOfWork } from '@ticketing/common/outbox';
import { showBuyerOrder } from '../orders/show-buyer-order';

export function showOrderRouter(unitOfWork: UnitOfWork): Router {
  return Router().get('/api/orders/:id', requireAuth, requireUuidParam('id'), async (req, res) => {
    res.status(200).json(await showBuyerOrder(unitOfWork.db, signedInUser(req).id, String(req.params.id)));
  });
}
