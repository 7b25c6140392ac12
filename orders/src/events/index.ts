import type { EventBus, Outbox, RunningListener } from '@ticketing/common';
import { chargeCreatedListener } from './charge-created-listener';
import { orderExpiredListener } from './order-expired-listener';
import { RETIRED_TICKET_DURABLES, ticketEventsListener } from './ticket-events-listener';

/** Binds every listener's durable consumer on the bus; stop them (or close the bus) to end. */
export async function startListeners(bus: EventBus, outbox: Outbox): Promise<RunningListener[]> {
  await bus.retireConsumers(RETIRED_TICKET_DURABLES);
  return Promise.all([
    bus.listen(ticketEventsListener(outbox)),
    bus.listen(orderExpiredListener(outbox)),
    bus.listen(chargeCreatedListener(outbox)),
  ]);
}
