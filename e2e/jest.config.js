const path = require('node:path');
const { workspaceJestConfig } = require('../jest.preset');

module.exports = workspaceJestConfig(__dirname, {
  // The shared infrastructure setup, then one build of every workspace: the flows run the built services.
  globalSetup: path.join(__dirname, 'src', 'global-setup.ts'),
  // A whole stack starts per test file, and some flows wait out a real lock window and a real sweep.
  // Jest reads testTimeout only from the top-level config in a multi-project run (the root's), so the
  // setup file sets the same value for runs from the root.
  testTimeout: 120_000,
  setupFilesAfterEnv: ['<rootDir>/test/setup-timeout.ts'],
});
