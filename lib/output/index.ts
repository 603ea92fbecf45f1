export * from './atomic-synth';
export * from './secret-scan';
export * from './next-steps';
export * from './failure';
export * from './stack-selection';
