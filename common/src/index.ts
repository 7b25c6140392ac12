/**
 * @ticketing/common: what every Ticketing service shares. The event catalog, errors and the error
 * middleware, session middleware, the JetStream bus, the transactional outbox and inbox, config,
 * logging, metrics and traces. Test helpers live in `@ticketing/common/testing`.
 *
 * Each part has an import path of its own (`@ticketing/common/bus`, `/database`, `/http`, `/outbox`, …; see
 * package.json `exports`), which the services use. This barrel re-exports them all for the packages that
 * still import the root: the local stack (infra/local), the Stripe emulator and bench.
 */
export * from './errors';
export * from './email';
export * from './events';
export * from './logging';
export * from './config';
export * from './middleware';
export * from './bus';
export * from './database';
export * from './outbox';
export * from './http';
export * from './service';
export * from './money';
export * from './versions';
export * from './live';
export * from './observability';
