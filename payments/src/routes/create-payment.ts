import { Router, type RequestHandler } from 'express';
import { body } from 'express-validator';
import { requireAuth, signedInUser, validateRequest } from '@ticketing/common/middleware';
import type { PaymentDependencies } from '../payments/dependencies';
import { payForOrder } from '../payments/pay-for-order';
import { orderIdField, paymentMethodIdField } from './validation';

export function createPaymentRouter(deps: PaymentDependencies, paymentLimit: RequestHandler): Router {
  return Router().post(
    '/api/payments',
    requireAuth,
    paymentLimit,
    orderIdField(body),
    paymentMethodIdField(),
    validateRequest,
    async (req, res) => {
      const charge = await payForOrder(deps, {
        userId: signedInUser(req).id,
        orderId: req.body.orderId,
        paymentMethodId: req.body.paymentMethodId,
      });
      res.status(201).json(charge);
    },
  );
}
