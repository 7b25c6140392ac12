// `npm test` at the root: every workspace's tests in one Jest run, and one closing line
// `N passed, N failed` that CI reads.
module.exports = {
  projects: ['<rootDir>/common', '<rootDir>/infra/local', '<rootDir>/auth'],
  reporters: ['default', '<rootDir>/scripts/summary-reporter.js'],
  maxWorkers: 2,
};
