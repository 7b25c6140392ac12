import { Router } from 'express';
import { requireAuth, signedInUser } from '@ticketing/common/middleware';
import type { LiveOwnedPasses } from '../passes/live-owned-passes';

/**
 * The signed-in user's "My tickets" as server-sent events: `event: owned` with `{ ticketId, generation }`
 * whenever a pass is issued to them or taken from them; the page reads My tickets again. Mounted before
 * `/api/tickets/:id`.
 */
export function streamOwnedTicketsRouter(live: LiveOwnedPasses): Router {
  return Router().get('/api/tickets/owned/stream', requireAuth, (req, res) => {
    live.serve(req, res, signedInUser(req).id);
  });
}
