import type { Config } from 'jest';

const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/spec'],
  testMatch: ['**/*.spec.ts'],
  // Type checking is done once by `tsc --noEmit` in `npm test`; ts-jest only transpiles.
  transform: { '^.+\\.ts$': 'ts-jest' },
  moduleNameMapper: { '^stackware$': '<rootDir>/lib/index.ts' },
  setupFilesAfterEnv: ['<rootDir>/spec/setup.ts'],
  testTimeout: 10_000,
};

export default config;
