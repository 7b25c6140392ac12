import { Router } from 'express';
import { requireAuth, signedInUser } from '@ticketing/common/middleware';
import { type Executor } from '@ticketing/common/database';
import { listDoorTickets } from '../checkins/list-door-tickets';

/** Every ticket of the issuer with a pass, as an offline door needs them. */
export function listDoorTicketsRouter(db: Executor, settings: { checkinWindowHours: number }): Router {
  return Router().get('/api/checkins/tickets', requireAuth, async (req, res) => {
    res.status(200).json(await listDoorTickets(db, signedInUser(req).id, settings));
  });
}
