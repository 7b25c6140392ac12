import { recordEvents, waitFor } from '@ticketing/common/testing';
import { givenOrder, pay, usePayments } from './helpers';

const payments = usePayments({ bus: true });

describe('events payments publishes', () => {
  it('when one payment succeeds and another is declined, then charge.created reaches JetStream for each, amounts in cents', async () => {
    const recorded = await recordEvents(payments.bus!, 'charge.created');
    try {
      const paidOrder = await givenOrder(payments.database, { price: 2050 });
      const declinedOrder = await givenOrder(payments.database, { price: 999 });
      const paid = await pay(payments.app, paidOrder.cookie, {
        orderId: paidOrder.id,
        paymentMethodId: 'pm_card_visa',
      });
      await pay(payments.app, declinedOrder.cookie, {
        orderId: declinedOrder.id,
        paymentMethodId: 'pm_card_chargeDeclined',
      }).expect(402);

      await waitFor(() => expect(recorded.events).toHaveLength(2));
      expect(recorded.events.map((event) => event.data)).toEqual(
        expect.arrayContaining([
          { id: paid.body.id, orderId: paidOrder.id, status: 'completed', amount: 2050, stripeId: paid.body.stripeId },
          {
            id: expect.any(String),
            orderId: declinedOrder.id,
            status: 'failed',
            amount: 999,
            stripeId: expect.stringMatching(/^pi_/),
          },
        ]),
      );
    } finally {
      await recorded.stop();
    }
  });
});
