const path = require('node:path');
const { workspaceJestConfig } = require('../jest.preset');

// The client's pure functions (no React, no Next): fast, and without the infrastructure the services need.
module.exports = workspaceJestConfig(__dirname, {
  globalSetup: undefined,
  globalTeardown: undefined,
  moduleNameMapper: {
    '^@/(.*)$': '<rootDir>/src/$1',
    // The door's tests run the pass-code format from source, as the preset does for common: no build needed.
    '^@ticketing/common/pass-code$': path.join(__dirname, '..', 'common', 'src', 'pass-code', 'index.ts'),
  },
  // The standalone build copies package.json into .next/: one @ticketing/client for Jest, not two.
  modulePathIgnorePatterns: ['<rootDir>/.next/'],
});
