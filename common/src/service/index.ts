export * from './run-service';
export * from './periodic-task';
