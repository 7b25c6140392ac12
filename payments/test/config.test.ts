import { sessionSettings } from '@ticketing/common/config';
import { ConfigError } from '@ticketing/common/config';
import { startStripeEmulator } from '@ticketing/stripe-emulator';
import { loadPaymentsConfig, webhookSecret } from '../src/config';
import { createStripeClient } from '../src/stripe-client';

const valid = {
  DATABASE_URL: 'postgres://localhost/payments',
  NATS_URL: 'nats://localhost:4222',
  REDIS_URL: 'redis://localhost:6379',
  JWT_KEY: 'k'.repeat(32),
};

describe('payments configuration', () => {
  it('when only the required variables are set, then the laptop defaults apply: the emulator and its secret', () => {
    const config = loadPaymentsConfig(valid);
    expect(config).toMatchObject({
      PORT: 3004,
      SESSION_TTL_SECONDS: 86_400,
      STRIPE_API_URL: 'http://127.0.0.1:12111',
      STRIPE_CURRENCY: 'usd',
      CHARGE_RECONCILE_INTERVAL_SECONDS: 60,
      CHARGE_SETTLE_AFTER_SECONDS: 300,
    });
    expect(config.STRIPE_SECRET_KEY).toBeUndefined();
    expect(webhookSecret(config)).toBe('whsec_ticketing_local_emulator');
    expect(sessionSettings(config).cookieSecure).toBe(false);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('when DATABASE_URL and JWT_KEY are missing, then start fails naming both', () => {
    expect(() => loadPaymentsConfig({ NATS_URL: 'nats://localhost:4222' })).toThrow(
      /DATABASE_URL is required.*JWT_KEY is required/,
    );
  });

  it('when a real Stripe key is set without its webhook secret, then start fails naming STRIPE_WEBHOOK_SECRET', () => {
    expect(() => loadPaymentsConfig({ ...valid, STRIPE_SECRET_KEY: 'sk_live_abc' })).toThrow(ConfigError);
    expect(() => loadPaymentsConfig({ ...valid, STRIPE_SECRET_KEY: 'sk_live_abc' })).toThrow(
      /STRIPE_WEBHOOK_SECRET is required/,
    );
  });

  it("when a real Stripe key and its webhook secret are set, then the webhook secret is Stripe's", () => {
    const config = loadPaymentsConfig({
      ...valid,
      STRIPE_SECRET_KEY: 'sk_test_abc',
      STRIPE_WEBHOOK_SECRET: 'whsec_real',
    });
    expect(webhookSecret(config)).toBe('whsec_real');
  });

  it('when the backstop timings are set, then they are read as whole seconds', () => {
    const config = loadPaymentsConfig({
      ...valid,
      CHARGE_RECONCILE_INTERVAL_SECONDS: '5',
      CHARGE_SETTLE_AFTER_SECONDS: '30',
    });
    expect(config).toMatchObject({ CHARGE_RECONCILE_INTERVAL_SECONDS: 5, CHARGE_SETTLE_AFTER_SECONDS: 30 });
  });

  it("when a real Stripe key is set, then a settle-after age under Stripe's search lag (60 s) is refused", () => {
    const real = { ...valid, STRIPE_SECRET_KEY: 'sk_live_abc', STRIPE_WEBHOOK_SECRET: 'whsec_real' };
    expect(() => loadPaymentsConfig({ ...real, CHARGE_SETTLE_AFTER_SECONDS: '30' })).toThrow(
      /CHARGE_SETTLE_AFTER_SECONDS is invalid: must be at least 60 with a real STRIPE_SECRET_KEY/,
    );
    expect(loadPaymentsConfig({ ...real, CHARGE_SETTLE_AFTER_SECONDS: '60' }).CHARGE_SETTLE_AFTER_SECONDS).toBe(60);
  });

  it('when empty Stripe variables are set (as manifests do), then they count as unset', () => {
    const config = loadPaymentsConfig({ ...valid, STRIPE_SECRET_KEY: '', STRIPE_WEBHOOK_SECRET: '' });
    expect(config.STRIPE_SECRET_KEY).toBeUndefined();
    expect(webhookSecret(config)).toBe('whsec_ticketing_local_emulator');
  });

  it.each([
    ['STRIPE_SECRET_KEY', 'pk_test_publishable', { STRIPE_WEBHOOK_SECRET: 'whsec_x' }],
    ['STRIPE_API_URL', 'ftp://127.0.0.1:12111', {}],
    ['STRIPE_CURRENCY', 'USD', {}],
    ['CHARGE_RECONCILE_INTERVAL_SECONDS', '0', {}],
    ['CHARGE_RECONCILE_INTERVAL_SECONDS', '1.5', {}],
    ['CHARGE_SETTLE_AFTER_SECONDS', 'soon', {}],
  ])('when %s is %j, then start fails naming it', (variable, value, extra) => {
    expect(() => loadPaymentsConfig({ ...valid, ...extra, [variable]: value })).toThrow(
      new RegExp(`${variable} is invalid`),
    );
  });
});

describe('createStripeClient', () => {
  it('when no real key is set, then the official SDK talks to the emulator at STRIPE_API_URL', async () => {
    const emulator = await startStripeEmulator({ port: 0 });
    try {
      const stripe = createStripeClient(loadPaymentsConfig({ ...valid, STRIPE_API_URL: emulator.url }));
      const intent = await stripe.paymentIntents.create({
        amount: 1000,
        currency: 'usd',
        payment_method: 'pm_card_visa',
        confirm: true,
        automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
      });
      expect(intent.status).toBe('succeeded');
    } finally {
      await emulator.close();
    }
  });
});
