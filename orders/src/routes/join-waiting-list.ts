import { Router, type RequestHandler } from 'express';
import { body } from 'express-validator';
import { isUuid, requireAuth, signedInUser, validateRequest } from '@ticketing/common/middleware';
import { type UnitOfWork } from '@ticketing/common/outbox';
import type { OrdersConfig } from '../config';
import { joinWaitingList } from '../orders/join-waiting-list';
import type { ReservationMemory } from '../orders/reservation-memory';

export function joinWaitingListRouter(
  unitOfWork: UnitOfWork,
  config: OrdersConfig,
  rateLimit: RequestHandler,
  memory: ReservationMemory,
): Router {
  return Router().post(
    '/api/orders/waitlist',
    requireAuth,
    rateLimit,
    // Checked here so that a malformed id is a 400 naming the field, never a database error.
    body('ticketId').custom(isUuid).withMessage('ticketId must be a valid id'),
    // The version of the ticket the buyer saw (optional for older clients): the place records its price or none.
    body('ticketVersion')
      .optional()
      .custom((value: unknown) => Number.isSafeInteger(value) && (value as number) >= 0)
      .withMessage('ticketVersion must be a whole number from 0'),
    validateRequest,
    async (req, res) => {
      const place = await joinWaitingList(unitOfWork, memory, signedInUser(req).id, req.body.ticketId as string, {
        ticketVersion: req.body.ticketVersion as number | undefined,
        replicaWaitMs: config.TICKET_REPLICA_WAIT_MS,
      });
      res.status(201).json(place);
    },
  );
}
