/**
 * Thrown by a handler for an event that can never be applied, however often it is retried (it names an
 * entity that cannot exist, it contradicts what this service knows for good). The bus moves it to the
 * dead-letter subject at once, as it does a payload that fails its schema, instead of retrying it for the
 * whole retry budget. Anything else a handler throws is presumed transient and retried.
 */
export class PermanentEventError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'PermanentEventError';
  }
}
