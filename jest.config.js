/** Unit tests (no network, no engines) and workflow tests (local mode, real engines) run as separate projects. */
const transform = { '^.+\\.ts$': 'ts-jest' }; // transpile-only: tsconfig sets isolatedModules

module.exports = {
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      setupFiles: ['<rootDir>/test/setup-env.ts'],
      transform,
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/workflow/'],
    },
    {
      displayName: 'workflow',
      testEnvironment: 'node',
      setupFiles: ['<rootDir>/test/setup-env.ts'],
      transform,
      roots: ['<rootDir>/test'],
      testMatch: ['<rootDir>/test/workflow/**/*.test.ts'],
    },
  ],
};
