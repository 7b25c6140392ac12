import { ReplicaChanges } from '@ticketing/common';

/** Wakes buyers of this process waiting for the ticket replica; the ticket listener says when it changed. */
export const ticketReplicaChanges = new ReplicaChanges();
