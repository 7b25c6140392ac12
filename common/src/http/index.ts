export * from './create-service-app';
export * from './readiness';
export * from './cache-control';
