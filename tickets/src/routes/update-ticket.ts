import { Router } from 'express';
import { requireAuth, requireUuidParam, signedInUser } from '@ticketing/common/middleware';
import { type UnitOfWork } from '@ticketing/common/outbox';
import { editTicket } from '../tickets/edit-ticket';
import { ticketInput, validateTicketFields } from './validation';

export function updateTicketRouter(unitOfWork: UnitOfWork, { resalePriceCap }: { resalePriceCap: number }): Router {
  return Router().put(
    '/api/tickets/:id',
    requireAuth,
    requireUuidParam('id'),
    validateTicketFields,
    async (req, res) => {
      const ticket = await editTicket(unitOfWork, signedInUser(req).id, req.params.id as string, ticketInput(req), {
        resalePriceCap,
      });
      res.status(200).json(ticket);
    },
  );
}
