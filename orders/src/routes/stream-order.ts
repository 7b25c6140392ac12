import { Router } from 'express';
import { requireAuth, requireUuidParam, signedInUser } from '@ticketing/common/middleware';
import { assertBuyerCanWatch, type LiveOrders } from '../orders/live-orders';

/**
 * The buyer's order as server-sent events (`event: order`, `id:` its version): the order as
 * `GET /api/orders/:id` shows it on connect, then again on every change (paid, cancelled, expired).
 * 401 signed out, 404 unknown, 403 someone else's, before any event.
 */
export function streamOrderRouter(orders: LiveOrders): Router {
  return Router().get('/api/orders/:id/stream', requireAuth, requireUuidParam('id'), async (req, res) => {
    const id = String(req.params.id).toLowerCase();
    const buyerId = signedInUser(req).id;
    await orders.serve(req, res, { ids: [id], check: (views) => assertBuyerCanWatch(views, id, buyerId) });
  });
}
