import { Router } from 'express';
import { requireAuth, requireUuidParam, signedInUser, validateRequest } from '@ticketing/common/middleware';
import { type UnitOfWork } from '@ticketing/common/outbox';
import { resellTicket } from '../tickets/resell-ticket';
import { priceField, priceInCents } from './validation';

export function resellTicketRouter(unitOfWork: UnitOfWork, { resalePriceCap }: { resalePriceCap: number }): Router {
  return Router().post(
    '/api/tickets/:id/resale',
    requireAuth,
    requireUuidParam('id'),
    priceField(),
    validateRequest,
    async (req, res) => {
      const resale = await resellTicket(unitOfWork, signedInUser(req).id, req.params.id as string, {
        price: priceInCents(req),
        resalePriceCap,
      });
      res.status(201).json(resale);
    },
  );
}
