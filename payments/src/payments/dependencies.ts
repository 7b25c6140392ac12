import type Stripe from 'stripe';
import type { Logger } from '@ticketing/common/logging';
import type { UnitOfWork } from '@ticketing/common/outbox';
import type { ReplicaChanges } from '@ticketing/common/versions';

/** How a payment waits for the order replica to hear of an order placed a moment ago. */
export interface OrderReplicaWait {
  /** This process's wake-ups: its order listeners call `changed` after each commit. */
  changes: ReplicaChanges;
  /** The longest wait (ORDER_REPLICA_WAIT_MS), then 503. */
  waitMs: number;
  /** How often the replica is read again meanwhile, for an order another replica of payments applied. */
  pollMs: number;
}

/** What the payment use cases work with: the database (through the unit of work), Stripe, and a logger. */
export interface PaymentDependencies {
  unitOfWork: UnitOfWork;
  /** The official SDK, pointed at Stripe or at the local emulator (see stripe-client.ts). */
  stripe: Stripe;
  /** ISO currency of every PaymentIntent, lower case. */
  currency: string;
  /** Webhook signatures are checked with this secret. */
  webhookSecret: string;
  logger: Logger;
  orderReplica: OrderReplicaWait;
}

/** What the periodic backstops work with: no HTTP request, so no currency or webhook secret. */
export type BackstopDependencies = Pick<PaymentDependencies, 'unitOfWork' | 'stripe' | 'logger'>;
