export * from './atomic-synth';
export * from './secret-scan';
