import { Router } from 'express';
import type { PaymentLedger } from '../payments';
import { apiRequestContext } from '../request-context';

/**
 * POST /v1/payment_intents, POST /v1/payment_intents/:id/confirm, GET /v1/payment_intents/search,
 * GET /v1/payment_intents/:id
 */
export function createPaymentIntentsRouter(ledger: PaymentLedger): Router {
  const router = Router();
  router.post('/', (req, res) => {
    res.json(ledger.createPaymentIntent(req.body ?? {}, apiRequestContext(req, res)));
  });
  router.post('/:id/confirm', (req, res) => {
    res.json(ledger.confirmPaymentIntent(req.params.id, req.body ?? {}, apiRequestContext(req, res)));
  });
  // Before /:id, which would take "search" for an id. GET parameters come in the query string.
  router.get('/search', (req, res) => {
    res.json(ledger.searchPaymentIntents(req.query));
  });
  router.get('/:id', (req, res) => {
    res.json(ledger.retrievePaymentIntent(req.params.id));
  });
  return router;
}
