export * from './error-handler';
export * from './current-user';
export * from './validate-request';
export * from './uuid-param';
export * from './reject-unsafe-text';
export * from './shared-rate-limits';
export * from './session-versions';
