import { Router, type Request } from 'express';
import { requireAuth, requireUuidParam, signedInUser } from '@ticketing/common/middleware';
import { type Executor } from '@ticketing/common/database';
import type { Pass } from '@ticketing/common/api';
import { renderPassCalendar } from '../passes/pass-calendar';
import type { PassDocument } from '../passes/pass-document';
import { renderPassPdf } from '../passes/pass-pdf';
import type { PassSigner } from '../passes/pass-signer';
import { showPass } from '../passes/show-pass';

/**
 * The holder's pass to take away: a one-page PDF with its QR code, and a calendar entry for its event. The same
 * access as the pass itself (its holder, else 404), and nothing any cache may keep: the PDF carries the code.
 */
export function passDocumentsRouter(db: Executor, signer: PassSigner): Router {
  const passOf = (req: Request) => showPass(db, signer, signedInUser(req).id, req.params.id as string);
  return Router()
    .get('/api/tickets/:id/pass.pdf', requireAuth, requireUuidParam('id'), async (req, res) => {
      const pass = await passOf(req);
      const pdf = await renderPassPdf(documentOf(pass));
      res
        .status(200)
        .set('Cache-Control', 'private, no-store')
        .set('Content-Disposition', `attachment; filename="pass-${pass.heldTicketId}.pdf"`)
        .type('application/pdf')
        .send(pdf);
    })
    .get('/api/tickets/:id/pass.ics', requireAuth, requireUuidParam('id'), async (req, res) => {
      const pass = await passOf(req);
      // The pass page on the site the request came through (the edge forwards its Host): what the entry links to.
      const url = `${req.protocol}://${req.get('host') ?? 'localhost'}/mytickets/${pass.heldTicketId}/pass`;
      const calendar = renderPassCalendar(documentOf(pass), { url });
      res
        .status(200)
        .set('Cache-Control', 'private, no-store')
        .set('Content-Disposition', `attachment; filename="pass-${pass.heldTicketId}.ics"`)
        .type('text/calendar; charset=utf-8')
        .send(calendar);
    });
}

function documentOf(pass: Pass): PassDocument {
  return {
    ticketId: pass.ticketId,
    code: pass.code,
    generation: pass.generation,
    title: pass.title,
    venue: pass.venue,
    startsAt: pass.startsAt,
    timeZone: pass.timeZone,
    holderEmail: pass.holderEmail,
    issuedAt: pass.issuedAt,
  };
}
