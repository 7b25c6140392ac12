import { Router } from 'express';
import type { PaymentLedger } from '../payments';
import { apiRequestContext } from '../request-context';

/** POST /v1/refunds, GET /v1/refunds/:id */
export function createRefundsRouter(ledger: PaymentLedger): Router {
  const router = Router();
  router.post('/', (req, res) => {
    res.json(ledger.createRefund(req.body ?? {}, apiRequestContext(req, res)));
  });
  router.get('/:id', (req, res) => {
    res.json(ledger.retrieveRefund(req.params.id));
  });
  return router;
}
