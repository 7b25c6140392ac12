import { Router, type RequestHandler } from 'express';
import type { PaymentDependencies } from '../payments/dependencies';
import { createPaymentRouter } from './create-payment';
import { listPaymentsRouter } from './list-payments';
import { stripeWebhookRouter } from './stripe-webhook';

/** `paymentLimit` counts payment attempts per buyer (put after requireAuth). */
export function paymentsRoutes(deps: PaymentDependencies, paymentLimit: RequestHandler): Router {
  return Router().use(stripeWebhookRouter(deps), createPaymentRouter(deps, paymentLimit), listPaymentsRouter(deps));
}
