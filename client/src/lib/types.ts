/** Shapes the HTTP API returns (see /work/shared/DESIGN.md); prices are decimals, charge amounts cents. */

export interface CurrentUser {
  id: string;
  email: string;
}

export interface Ticket {
  id: string;
  title: string;
  price: number;
  userId: string;
  orderId: string | null;
  /** Set once the buying order completed; older tickets services may not send it yet. */
  sold?: boolean;
  version: number;
  createdAt: string;
}

export type OrderStatus = 'created' | 'awaiting:payment' | 'cancelled' | 'complete';

export interface Order {
  id: string;
  userId: string;
  status: OrderStatus;
  expiresAt: string;
  /**
   * The ticket as it was reserved: `price` is the price stored on the order when it was placed (what the buyer
   * saw and is charged), not the ticket's current price, which the seller may have changed since.
   */
  ticket: { id: string; title: string; price: number };
  version: number;
  /** When the order was placed (ISO 8601). */
  createdAt: string;
}

export type ChargeStatus = 'created' | 'failed' | 'completed';

export interface Charge {
  id: string;
  orderId: string;
  status: ChargeStatus;
  amount: number;
  stripeId: string;
  stripeRefundId: string | null;
}
