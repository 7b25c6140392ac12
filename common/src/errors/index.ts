export * from './custom-error';
