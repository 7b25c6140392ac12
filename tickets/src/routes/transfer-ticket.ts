import { Router } from 'express';
import { body } from 'express-validator';
import { INVALID_EMAIL_MESSAGE, isValidEmailAddress, normalizeEmailAddress } from '@ticketing/common/email';
import { requireAuth, requireUuidParam, signedInUser, validateRequest } from '@ticketing/common/middleware';
import { type UnitOfWork } from '@ticketing/common/outbox';
import { transferTicket } from '../passes/transfer-ticket';

/** An email by the rule auth accepts one by, checked in the form auth stores it (normalised). */
const recipientEmailField = () =>
  body('email')
    .isString()
    .withMessage(INVALID_EMAIL_MESSAGE)
    .bail()
    .custom((value: string) => isValidEmailAddress(normalizeEmailAddress(value)))
    .withMessage(INVALID_EMAIL_MESSAGE);

/** The holder hands their pass to another account, named by email. */
export function transferTicketRouter(unitOfWork: UnitOfWork): Router {
  return Router().post(
    '/api/tickets/:id/transfer',
    requireAuth,
    requireUuidParam('id'),
    recipientEmailField(),
    validateRequest,
    async (req, res) => {
      const transfer = await transferTicket(unitOfWork, signedInUser(req), req.params.id as string, req.body.email);
      res.status(200).json(transfer);
    },
  );
}
