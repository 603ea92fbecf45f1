export * from './catalog';
export * from './sharding';
export * from './website';
