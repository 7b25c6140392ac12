/**
 * @ticketing/local-stack: runs Ticketing on one machine. The launcher is `dist/start.js`; these are the pieces
 * it is made of, also used by the Jest global setup of every workspace and by the cross-service tests.
 */
export {
  DEFAULT_DATABASE_URL,
  DEFAULT_NATS_URL,
  DEFAULT_NATS_CLUSTER_PORTS,
  DEFAULT_REDIS_URL,
  deleteRedisKeys,
  dropDatabase,
  ensureDatabase,
  ensureInfrastructure,
  InfrastructureError,
  MAX_NATS_CLUSTER_SIZE,
  MissingBinaryError,
  startNatsCluster,
  type EnsureInfrastructureOptions,
  type NatsNode,
  type RunningNatsCluster,
  type InfrastructureComponent,
  type RunningInfrastructure,
} from './infrastructure';
export {
  CONNECTION_FAILURE_PENALTY_MS,
  createGateway,
  DEFAULT_READINESS_INTERVAL_MS,
  type GatewayOptions,
  type GatewayRoute,
} from './gateway';
export {
  ensureNginx,
  NGINX_BINARY,
  startNginxEdge,
  type NginxEdgeOptions,
  type NginxEdgeRoute,
  type RunningNginxEdge,
} from './nginx-edge';
export { apiRoutes, edgeRoutes, streamPathPattern, streamRoutes, type EdgeRoute, type StreamRoute } from './routing';
export { DEFAULT_MICRO_CACHE_LIMITS, type MicroCacheLimits } from './micro-cache';
export { DEFAULT_NAMESPACE, databaseNameOf, SERVICES, type ServiceDefinition, type ServiceName } from './services';
export {
  DEFAULT_EDGE,
  DEFAULT_GATEWAY_PORT,
  DEFAULT_RESTART_POLICY,
  MAX_REPLICAS,
  prefixedLineWriter,
  StackError,
  StackStartAborted,
  startStack,
  type EdgeKind,
  type RestartPolicy,
  type RunningStack,
  type ServiceInstance,
  type StackOptions,
} from './stack';
export { defaultDataDir, findRepoRoot } from './repo-root';
export { findFreePort, isPortTaken } from './ports';
