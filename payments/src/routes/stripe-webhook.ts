import { Router } from 'express';
import type { WebhookReceipt } from '@ticketing/common/api';
import type { PaymentDependencies } from '../payments/dependencies';
import { handleStripeWebhook } from '../payments/handle-stripe-webhook';

/** Stripe's deliveries: no session, the signature is the authentication. */
export function stripeWebhookRouter(deps: PaymentDependencies): Router {
  return Router().post('/api/payments/webhook', async (req, res) => {
    await handleStripeWebhook(deps, req.rawBody, req.get('stripe-signature'));
    res.status(200).json({ received: true } satisfies WebhookReceipt);
  });
}
