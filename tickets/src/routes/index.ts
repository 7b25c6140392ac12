import { Router } from 'express';
import type { UnitOfWork } from '@ticketing/common/outbox';
import { createTicketRouter } from './create-ticket';
import { listTicketsRouter } from './list-tickets';
import { listMyTicketsRouter } from './list-my-tickets';
import { showTicketRouter } from './show-ticket';
import { updateTicketRouter } from './update-ticket';
import { streamTicketRouter } from './stream-ticket';
import { streamTicketsRouter } from './stream-tickets';
import type { LiveTickets } from '../tickets/live-tickets';
import { listOwnedTicketsRouter } from './list-owned-tickets';
import { resellTicketRouter } from './resell-ticket';
import { withdrawTicketRouter } from './withdraw-ticket';
import type { LiveOwnedPasses } from '../passes/live-owned-passes';
import type { PassSigner } from '../passes/pass-signer';
import { passDocumentsRouter } from './pass-documents';
import { showPassRouter } from './show-pass';
import { streamOwnedTicketsRouter } from './stream-owned-tickets';
import { transferTicketRouter } from './transfer-ticket';
import { showPassKeyRouter } from './show-pass-key';
import { checkInRouter } from './check-in';
import { listCheckinsRouter } from './list-checkins';
import { listRevokedCodesRouter } from './list-revoked-codes';
import { listDoorTicketsRouter } from './list-door-tickets';

/** What the routes need of the configuration. */
export interface TicketsRouteSettings {
  /** RESALE_PRICE_CAP: a resale costs at most the price paid times this. */
  resalePriceCap: number;
  /** CHECKIN_WINDOW_HOURS: the door admits until this long after the event's start. */
  checkinWindowHours: number;
}

/** What the pass routes need: the signer of codes, and this process's My tickets streams. */
export interface PassesDependencies {
  passSigner: PassSigner;
  liveOwnedPasses: LiveOwnedPasses;
}

export function ticketsRoutes(
  unitOfWork: UnitOfWork,
  liveTickets: LiveTickets,
  settings: TicketsRouteSettings,
  { passSigner, liveOwnedPasses }: PassesDependencies,
): Router {
  return Router().use(
    createTicketRouter(unitOfWork),
    listTicketsRouter(unitOfWork.db),
    // Before /api/tickets/:id, which would answer 404 for the ids 'mine', 'owned' and 'stream'.
    listMyTicketsRouter(unitOfWork.db),
    streamOwnedTicketsRouter(liveOwnedPasses),
    listOwnedTicketsRouter(unitOfWork.db, settings),
    streamTicketsRouter(liveTickets),
    streamTicketRouter(liveTickets),
    showTicketRouter(unitOfWork.db),
    updateTicketRouter(unitOfWork, settings),
    resellTicketRouter(unitOfWork, settings),
    withdrawTicketRouter(unitOfWork),
    showPassRouter(unitOfWork.db, passSigner),
    passDocumentsRouter(unitOfWork.db, passSigner),
    transferTicketRouter(unitOfWork),
    // The door (/api/checkins): the edge sends this prefix to tickets too.
    showPassKeyRouter(passSigner),
    checkInRouter(unitOfWork, passSigner, settings),
    listCheckinsRouter(unitOfWork.db),
    listRevokedCodesRouter(unitOfWork.db),
    listDoorTicketsRouter(unitOfWork.db, settings),
  );
}
