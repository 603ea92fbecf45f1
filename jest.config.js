/** Transpile-only (swc), two workers at most: the suite runs on 2-core machines. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.tsx?$': ['@swc/jest', { jsc: { target: 'es2022' }, sourceMaps: false }] },
  setupFilesAfterEnv: ['<rootDir>/__tests__/setup.ts'],
  maxWorkers: 2,
  testTimeout: 60000,
};
