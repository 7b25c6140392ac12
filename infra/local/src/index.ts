/**
 * @ticketing/local-stack: runs Ticketing on one machine. The launcher is `dist/start.js`; these are the pieces
 * it is made of, also used by the Jest global setup of every workspace and by the cross-service tests.
 */
export {
  DEFAULT_DATABASE_URL,
  DEFAULT_NATS_URL,
  DEFAULT_REDIS_URL,
  deleteRedisKeys,
  dropDatabase,
  ensureDatabase,
  ensureInfrastructure,
  InfrastructureError,
  MissingBinaryError,
  type EnsureInfrastructureOptions,
  type InfrastructureComponent,
  type RunningInfrastructure,
} from './infrastructure';
export { createGateway, type GatewayOptions, type GatewayRoute } from './gateway';
export { DEFAULT_MICRO_CACHE_LIMITS, type MicroCacheLimits } from './micro-cache';
export { DEFAULT_NAMESPACE, databaseNameOf, SERVICES, type ServiceDefinition, type ServiceName } from './services';
export {
  DEFAULT_GATEWAY_PORT,
  prefixedLineWriter,
  StackError,
  StackStartAborted,
  startStack,
  type RunningStack,
  type StackOptions,
} from './stack';
export { defaultDataDir, findRepoRoot } from './repo-root';
export { findFreePort, isPortTaken } from './ports';
