import { Router } from 'express';
import type { PassSigner } from '../passes/pass-signer';

/**
 * A browser (the door page) may keep the key for an hour: it changes only if PASS_SIGNING_KEY does
 * (docs/operations.md). The edge keeps it a second, as everything it shares.
 */
export const PASS_KEY_CACHE_CONTROL = 'public, max-age=3600, s-maxage=1';

/** The public pass key, the same for everyone: what an offline door checks codes with. */
export function showPassKeyRouter(signer: PassSigner): Router {
  return Router().get('/api/checkins/key', (_req, res) => {
    res.setHeader('Cache-Control', PASS_KEY_CACHE_CONTROL);
    res.status(200).json(signer.published);
  });
}
