import { Router } from 'express';
import { requireAuth, requireUuidParam, signedInUser, validateRequest, type Outbox } from '@ticketing/common';
import { resellTicket } from '../tickets/resell-ticket';
import { priceField, priceInCents } from './validation';

export function resellTicketRouter(outbox: Outbox, { resalePriceCap }: { resalePriceCap: number }): Router {
  return Router().post(
    '/api/tickets/:id/resale',
    requireAuth,
    requireUuidParam('id'),
    priceField(),
    validateRequest,
    async (req, res) => {
      const resale = await resellTicket(outbox, signedInUser(req).id, req.params.id as string, {
        price: priceInCents(req),
        resalePriceCap,
      });
      res.status(201).json(resale);
    },
  );
}
