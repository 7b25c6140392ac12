/**
 * Thrown by a handler for an event that cannot be applied yet but will be later: typically a replica
 * receiving version N before N−1. The bus naks the message with this delay instead of counting it as a
 * failure to log loudly. It still counts towards the delivery bound, so a gap that never closes ends in
 * the dead-letter subject rather than looping forever.
 */
export class RetryLaterError extends Error {
  constructor(
    readonly reason: string,
    readonly delayMs = 500,
  ) {
    super(reason);
    this.name = 'RetryLaterError';
  }
}
