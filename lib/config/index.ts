export * from './schema';
export * from './loader';
export * from './infomaniak';
export * from './quotas';
export * from './warnings';
