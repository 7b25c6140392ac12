export * from './custom-error';
export * from './assert-never';
