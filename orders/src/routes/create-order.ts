import { Router } from 'express';
import { body } from 'express-validator';
import {
  isUuid,
  perUser,
  requireAuth,
  signedInUser,
  validateRequest,
  type SharedRateLimits,
} from '@ticketing/common/middleware';
import { type UnitOfWork } from '@ticketing/common/outbox';
import type { OrdersConfig } from '../config';
import { createOrder } from '../orders/create-order';
import { leadBuyersOf, refusalFromMemory } from '../orders/held-tickets';
import type { ReservationMemory } from '../orders/reservation-memory';

export function createOrderRouter(
  unitOfWork: UnitOfWork,
  config: OrdersConfig,
  rateLimits: SharedRateLimits,
  memory: ReservationMemory,
): Router {
  return Router().post(
    '/api/orders',
    requireAuth,
    // Before the limit and the validation: a refusal from memory costs less than counting it would.
    async (req, res, next) => {
      const ticketId = (req.body as { ticketId?: unknown } | undefined)?.ticketId;
      const refusal = await refusalFromMemory(memory, ticketId);
      if (refusal) {
        res.status(409).json(refusal);
        return;
      }
      leadBuyersOf(memory.requestsUnderWay, ticketId, (done) => res.once('close', done));
      next();
    },
    rateLimits.limit({
      name: 'orders-create',
      points: config.ORDER_RATE_LIMIT_PER_MINUTE,
      windowSeconds: 60,
      key: perUser,
      message: 'Too many reservation attempts; please wait a minute',
    }),
    // Checked here so that a malformed id is a 400 naming the field, never a database error.
    body('ticketId').custom(isUuid).withMessage('ticketId must be a valid id'),
    // The version of the ticket the buyer saw (optional for older clients): the order is placed at it or not at all.
    body('ticketVersion')
      .optional()
      .custom((value: unknown) => Number.isSafeInteger(value) && (value as number) >= 0)
      .withMessage('ticketVersion must be a whole number from 0'),
    validateRequest,
    async (req, res) => {
      const order = await createOrder(unitOfWork, memory, signedInUser(req).id, req.body.ticketId, {
        expiresInSeconds: config.ORDER_EXPIRATION_SECONDS,
        ticketVersion: req.body.ticketVersion as number | undefined,
        maxLiveOrders: config.MAX_LIVE_ORDERS_PER_BUYER,
        replicaWaitMs: config.TICKET_REPLICA_WAIT_MS,
      });
      res.status(201).json(order);
    },
  );
}
