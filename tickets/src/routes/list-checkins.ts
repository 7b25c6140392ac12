import { Router } from 'express';
import { requireAuth, signedInUser, validateRequest } from '@ticketing/common/middleware';
import { type Executor } from '@ticketing/common/database';
import { listCheckins, type CheckinFilter } from '../checkins/list-checkins';
import { checkinFilterParameters } from './checkin-validation';

/** The issuer's admissions: `?ticketId=`, `?event=` (any ticket of the event), or all. */
export function listCheckinsRouter(db: Executor): Router {
  return Router().get('/api/checkins', requireAuth, ...checkinFilterParameters(), validateRequest, async (req, res) => {
    const { ticketId, event } = req.query as { ticketId?: string; event?: string };
    const filter: CheckinFilter = ticketId ? { ticketId } : event ? { eventOf: event } : {};
    res.status(200).json({ checkins: await listCheckins(db, signedInUser(req).id, filter) });
  });
}
