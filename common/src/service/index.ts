export * from './run-service';
export * from './periodic-task';
export * from './start-service';
