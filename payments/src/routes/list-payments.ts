import { Router } from 'express';
import { query } from 'express-validator';
import { requireAuth, signedInUser, validateRequest } from '@ticketing/common/middleware';
import type { PaymentDependencies } from '../payments/dependencies';
import { listChargesOfBuyerOrder } from '../payments/list-charges';
import { orderIdField } from './validation';

export function listPaymentsRouter(deps: PaymentDependencies): Router {
  return Router().get('/api/payments', requireAuth, orderIdField(query), validateRequest, async (req, res) => {
    const charges = await listChargesOfBuyerOrder(deps.unitOfWork.db, signedInUser(req).id, String(req.query.orderId));
    res.status(200).json(charges);
  });
}
