/** Tuning shared by the tickets listeners; production uses the bus defaults, tests shorten them. */
export interface ListenerOptions {
  /** Deliveries before an event that cannot be applied goes to the dead-letter subject. */
  maxDeliveries?: number;
}
