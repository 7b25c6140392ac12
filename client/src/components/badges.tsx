import { ORDER_STATUS_LABEL, TICKET_STATE_LABEL, type TicketState } from '@/lib/ticket-state';
import type { OrderStatus } from '@ticketing/common/api';

export function TicketStateBadge({ state }: { state: TicketState }) {
  return <span className={`badge badge-${state}`}>{TICKET_STATE_LABEL[state]}</span>;
}

/** The order's status; `data-status` carries the API's raw value for tests and tooling. */
export function OrderStatusBadge({ status }: { status: OrderStatus }) {
  return (
    <span className={`badge badge-${status.replace(':', '-')}`} data-testid="order-status" data-status={status}>
      {ORDER_STATUS_LABEL[status]}
    </span>
  );
}
