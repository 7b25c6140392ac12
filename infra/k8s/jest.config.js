const { workspaceJestConfig } = require('../../jest.preset');

// These checks render manifests and read files: they need no PostgreSQL, NATS or Redis, so no global setup.
module.exports = workspaceJestConfig(__dirname, { globalSetup: undefined, globalTeardown: undefined });
