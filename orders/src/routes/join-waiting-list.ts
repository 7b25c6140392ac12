import { Router, type RequestHandler } from 'express';
import { body } from 'express-validator';
import { isUuid, requireAuth, signedInUser, validateRequest, type Outbox } from '@ticketing/common';
import { joinWaitingList } from '../orders/join-waiting-list';

export function joinWaitingListRouter(outbox: Outbox, rateLimit: RequestHandler): Router {
  return Router().post(
    '/api/orders/waitlist',
    requireAuth,
    rateLimit,
    // Checked here so that a malformed id is a 400 naming the field, never a database error.
    body('ticketId').custom(isUuid).withMessage('ticketId must be a valid id'),
    validateRequest,
    async (req, res) => {
      res.status(201).json(await joinWaitingList(outbox, signedInUser(req).id, req.body.ticketId as string));
    },
  );
}
