export * from './create-service-app';
export * from './readiness';
export * from './admission';
export * from './cache-control';
