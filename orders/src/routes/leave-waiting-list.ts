import { Router, type RequestHandler } from 'express';
import { requireAuth, requireUuidParam, signedInUser } from '@ticketing/common/middleware';
import { type UnitOfWork } from '@ticketing/common/outbox';
import { leaveWaitingList } from '../orders/leave-waiting-list';

export function leaveWaitingListRouter(unitOfWork: UnitOfWork, rateLimit: RequestHandler): Router {
  return Router().delete(
    '/api/orders/waitlist/:ticketId',
    requireAuth,
    requireUuidParam('ticketId'),
    rateLimit,
    async (req, res) => {
      await leaveWaitingList(unitOfWork.db, signedInUser(req).id, String(req.params.ticketId));
      res.status(204).end();
    },
  );
}
