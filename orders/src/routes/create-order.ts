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
import type { EarlyAnswer } from '@ticketing/common/http';
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
    // The refusal from memory came first (reservationRefusedFromMemory, before the session middleware).
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

/**
 * The reservation's answer from memory (an EarlyAnswer of the service app): a ticket this process knows held
 * is refused 409 before Express and its middleware (the session, the rate limit, which would count it, and the
 * validation), without a Redis or PostgreSQL round trip; so is a ticket whose first buyer's request here won while this
 * one waited for it. Any other request goes the whole way, and the first of a ticket becomes the one later
 * buyers of it wait for.
 */
export function reservationRefusedFromMemory(memory: ReservationMemory): EarlyAnswer {
  return {
    method: 'POST',
    path: '/api/orders',
    async answer(body, res) {
      const ticketId = (body as { ticketId?: unknown } | undefined)?.ticketId;
      const refusal = await refusalFromMemory(memory, ticketId);
      if (refusal) return { status: 409, body: refusal };
      leadBuyersOf(memory.requestsUnderWay, ticketId, (done) => res.once('close', done));
      return undefined;
    },
  };
}
