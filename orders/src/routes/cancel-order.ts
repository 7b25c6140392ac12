import { Router } from 'express';
import { requireAuth, requireUuidParam, signedInUser } from '@ticketing/common/middleware';
import { type UnitOfWork } from '@ticketing/common/outbox';
import type { OrdersConfig } from '../config';
import { cancelBuyerOrder } from '../orders/cancel-buyer-order';
import type { ReservationMemory } from '../orders/reservation-memory';
import { reservationTermsOf } from '../orders/reservation-terms';

export function cancelOrderRouter(unitOfWork: UnitOfWork, config: OrdersConfig, memory: ReservationMemory): Router {
  const terms = reservationTermsOf(config);
  return Router().delete('/api/orders/:id', requireAuth, requireUuidParam('id'), async (req, res) => {
    await cancelBuyerOrder(unitOfWork, memory, signedInUser(req).id, String(req.params.id), terms);
    res.status(204).end();
  });
}
