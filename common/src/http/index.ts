export * from './create-service-app';
export * from './readiness';
export * from './admission';
export * from './cache-control';
export * from './early-answers';
export * from './session-cookie';
export * from './request-log';
