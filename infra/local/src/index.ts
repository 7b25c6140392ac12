/**
 * @ticketing/local-stack: runs Ticketing on one machine. The launcher is `dist/start.js`; these are the pieces
 * it is made of, also used by the Jest global setup of every workspace.
 */
export {
  DEFAULT_DATABASE_URL,
  DEFAULT_NATS_URL,
  DEFAULT_REDIS_URL,
  ensureDatabase,
  ensureInfrastructure,
  InfrastructureError,
  MissingBinaryError,
  type EnsureInfrastructureOptions,
  type InfrastructureComponent,
  type RunningInfrastructure,
} from './infrastructure';
export { createGateway, type GatewayRoute } from './gateway';
export { databaseNameOf, findPresentServices, SERVICES, type ServiceDefinition } from './services';
export { defaultDataDir, findRepoRoot } from './repo-root';
