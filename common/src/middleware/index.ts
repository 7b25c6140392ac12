export * from './error-handler';
export * from './current-user';
export * from './validate-request';
export * from './rate-limit';
export * from './uuid-param';
export * from './reject-unsafe-text';
