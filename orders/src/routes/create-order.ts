import { Router } from 'express';
import { body } from 'express-validator';
import { isUuid, requireAuth, signedInUser, validateRequest, type Outbox } from '@ticketing/common';
import type { OrdersConfig } from '../config';
import { createOrder } from '../orders/orders';

export function createOrderRouter(outbox: Outbox, config: OrdersConfig): Router {
  return Router().post(
    '/api/orders',
    requireAuth,
    // Checked here so that a malformed id is a 400 naming the field, never a database error.
    body('ticketId').custom(isUuid).withMessage('ticketId must be a valid id'),
    validateRequest,
    async (req, res) => {
      const order = await createOrder(outbox, signedInUser(req).id, req.body.ticketId, {
        expiresInSeconds: config.ORDER_EXPIRATION_SECONDS,
      });
      res.status(201).json(order);
    },
  );
}
