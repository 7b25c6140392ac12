/** Test harness shared by every service: real PostgreSQL, real JetStream, signed-in callers, waiting for effects. */
export * from './test-database';
export * from './test-bus';
export * from './wait-for';
export * from './session';
export * from './test-rate-limits';
export * from './event-stream-reader';
export * from './tcp-proxy';
export * from './telemetry';
export * from './test-session-versions';
export * from './round-trips';
