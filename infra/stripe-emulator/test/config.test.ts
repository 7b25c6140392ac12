import { ConfigError } from '@ticketing/common';
import { loadEmulatorConfig } from '../src/config';
import { EMULATOR_WEBHOOK_SECRET } from '../src/emulator';

describe('the emulator process configuration', () => {
  it('when nothing is set, then it listens on 127.0.0.1:12111, signs with the laptop secret and sends no webhooks', () => {
    expect(loadEmulatorConfig({})).toEqual({
      PORT: 12111,
      HOST: '127.0.0.1',
      STRIPE_WEBHOOK_URL: undefined,
      STRIPE_WEBHOOK_SECRET: EMULATOR_WEBHOOK_SECRET,
      LOG_LEVEL: 'info',
    });
  });

  it('when the variables are set, then they are used; an empty webhook URL means none', () => {
    const config = loadEmulatorConfig({
      PORT: '4242',
      STRIPE_WEBHOOK_URL: 'http://127.0.0.1:3004/api/payments/webhook',
      STRIPE_WEBHOOK_SECRET: 'whsec_other',
      LOG_LEVEL: 'warn',
    });

    expect(config).toMatchObject({
      PORT: 4242,
      STRIPE_WEBHOOK_URL: 'http://127.0.0.1:3004/api/payments/webhook',
      STRIPE_WEBHOOK_SECRET: 'whsec_other',
      LOG_LEVEL: 'warn',
    });
    expect(loadEmulatorConfig({ STRIPE_WEBHOOK_URL: '' }).STRIPE_WEBHOOK_URL).toBeUndefined();
  });

  it('when a variable is invalid, then the start fails naming it', () => {
    expect(() => loadEmulatorConfig({ PORT: 'twelve', STRIPE_WEBHOOK_URL: 'not a url' })).toThrow(ConfigError);
    expect(() => loadEmulatorConfig({ PORT: 'twelve' })).toThrow(/PORT is invalid/);
    expect(() => loadEmulatorConfig({ STRIPE_WEBHOOK_URL: 'ftp://x' })).toThrow(/STRIPE_WEBHOOK_URL is invalid/);
  });
});
