export * from './create-service-app';
