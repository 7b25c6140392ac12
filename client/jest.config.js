const { workspaceJestConfig } = require('../jest.preset');

// The client's pure functions (no React, no Next): fast, and without the infrastructure the services need.
module.exports = workspaceJestConfig(__dirname, {
  globalSetup: undefined,
  globalTeardown: undefined,
  moduleNameMapper: { '^@/(.*)$': '<rootDir>/src/$1' },
  // The standalone build copies package.json into .next/: one @ticketing/client for Jest, not two.
  modulePathIgnorePatterns: ['<rootDir>/.next/'],
});
