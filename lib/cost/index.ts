export * from './prices';
export * from './estimate';
export * from './report';
