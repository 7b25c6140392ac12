import type { ListenerDefinition } from '@ticketing/common/bus';
import { scheduleExpiry } from '../expiration/schedule-expiry';
import type { ExpirationQueue } from '../queue/expiration-queue';

/**
 * order.created → start the order's timer. No inbox: the job id is the order id, so a redelivered or
 * re-published order.created finds the job there and adds nothing.
 */
export function orderCreatedListener(queue: ExpirationQueue): ListenerDefinition<'order.created'> {
  return {
    subject: 'order.created',
    durable: 'expiration-order-created',
    orderingKey: (event) => event.data.id,
    async handle(event, { logger }) {
      const { id: orderId, expiresAt } = event.data;
      const job = await scheduleExpiry(queue, { orderId, expiresAt });
      logger.info({ orderId, expiresAt, delayMs: job.delay }, 'order expiry scheduled');
    },
  };
}
