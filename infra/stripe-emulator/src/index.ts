import { createLogger, runService } from '@ticketing/common';
import { loadEmulatorConfig } from './config';
import { startStripeEmulator } from './emulator';

const config = loadEmulatorConfig();
const logger = createLogger({ service: 'stripe-emulator', level: config.LOG_LEVEL });

void runService(logger, async (lifecycle) => {
  const emulator = await startStripeEmulator({
    host: config.HOST,
    port: config.PORT,
    webhookUrl: config.STRIPE_WEBHOOK_URL,
    webhookSecret: config.STRIPE_WEBHOOK_SECRET,
    logger,
  });
  lifecycle.onStop('stripe emulator', () => emulator.close());
  logger.info({ url: emulator.url, webhookUrl: config.STRIPE_WEBHOOK_URL ?? null }, 'Stripe emulator listening');
});
