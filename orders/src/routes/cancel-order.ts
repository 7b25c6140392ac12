import { Router } from 'express';
import { requireAuth, requireUuidParam, signedInUser, type Outbox } from '@ticketing/common';
import { cancelBuyerOrder } from '../orders/cancel-buyer-order';

export function cancelOrderRouter(outbox: Outbox): Router {
  return Router().delete('/api/orders/:id', requireAuth, requireUuidParam('id'), async (req, res) => {
    await cancelBuyerOrder(outbox, signedInUser(req).id, String(req.params.id));
    res.status(204).end();
  });
}
