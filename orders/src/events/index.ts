import type { EventBus, Outbox, RunningListener } from '@ticketing/common';
import { chargeCreatedListener } from './charge-created-listener';
import { orderExpiredListener } from './order-expired-listener';
import { ticketCreatedListener } from './ticket-created-listener';
import { ticketUpdatedListener } from './ticket-updated-listener';

/** Binds every listener's durable consumer on the bus; stop them (or close the bus) to end. */
export async function startListeners(bus: EventBus, outbox: Outbox): Promise<RunningListener[]> {
  return Promise.all([
    bus.listen(ticketCreatedListener(outbox)),
    bus.listen(ticketUpdatedListener(outbox)),
    bus.listen(orderExpiredListener(outbox)),
    bus.listen(chargeCreatedListener(outbox)),
  ]);
}
