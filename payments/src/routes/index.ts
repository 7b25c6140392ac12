import { Router } from 'express';
import type { PaymentDependencies } from '../payments/dependencies';
import { createPaymentRouter } from './create-payment';
import { listPaymentsRouter } from './list-payments';
import { stripeWebhookRouter } from './stripe-webhook';

export function paymentsRoutes(deps: PaymentDependencies): Router {
  return Router().use(stripeWebhookRouter(deps), createPaymentRouter(deps), listPaymentsRouter(deps));
}
