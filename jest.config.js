// `npm test` at the root: every workspace that has a jest.config.js, in one Jest run, and one closing
// line `N passed, N failed` that CI reads.
const fs = require('node:fs');
const path = require('node:path');
const { workspaces } = require('./package.json');

module.exports = {
  projects: workspaces
    .filter((workspace) => fs.existsSync(path.join(__dirname, workspace, 'jest.config.js')))
    .map((workspace) => `<rootDir>/${workspace}`),
  reporters: ['default', '<rootDir>/scripts/summary-reporter.js'],
  maxWorkers: 2,
  // Per-project testTimeout is ignored when Jest runs projects; this is the default for every test file.
  testTimeout: 30_000,
};
