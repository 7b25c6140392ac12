import { Router } from 'express';
import type { WebhookDispatcher } from '../webhooks';

/** GET /_emulator/events[?type=…]: what the emulator has emitted, newest first (for tests; no API key). */
export function createEmulatorEventsRouter(webhooks: WebhookDispatcher): Router {
  const router = Router();
  router.get('/events', (req, res) => {
    const type = typeof req.query.type === 'string' ? req.query.type : undefined;
    res.json({ object: 'list', data: webhooks.list(type), has_more: false, url: '/_emulator/events' });
  });
  return router;
}
