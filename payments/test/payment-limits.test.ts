import { randomUUID } from 'node:crypto';
import { sessionCookieFor } from '@ticketing/common/testing';
import { pay, paymentIntentIdsOf, usePayments } from './helpers';

// An order payments never hears of: each attempt waits a moment for it (ORDER_REPLICA_WAIT_MS), then 503.
const payments = usePayments({ env: { PAYMENT_RATE_LIMIT_PER_MINUTE: '2', ORDER_REPLICA_WAIT_MS: '50' } });

describe('payment attempts per minute', () => {
  it('when one buyer keeps trying to pay, then 429 past PAYMENT_RATE_LIMIT_PER_MINUTE, before Stripe, counted per buyer', async () => {
    const { cookie } = sessionCookieFor();
    const orderId = randomUUID();
    const attempt = (session: string) => pay(payments.app, session, { orderId, paymentMethodId: 'pm_card_visa' });
    expect((await attempt(cookie)).status).toBe(503);
    expect((await attempt(cookie)).status).toBe(503);
    const refused = await attempt(cookie);
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({ errors: [{ message: 'Too many payment attempts; please wait a minute' }] });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(await paymentIntentIdsOf(payments.emulator, orderId)).toEqual([]);
    expect((await attempt(sessionCookieFor().cookie)).status).toBe(503);
  });
});
