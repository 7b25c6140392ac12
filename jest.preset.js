// Shared Jest settings for every workspace. Tests run TypeScript through SWC (no type check here:
// `npm run typecheck` does that), and import @ticketing/common from source so no build is needed first.
const path = require('node:path');

const commonSource = path.join(__dirname, 'common', 'src');
const localStackSource = path.join(__dirname, 'infra', 'local', 'src');

/** @param {string} rootDir @param {import('jest').Config} overrides */
function workspaceJestConfig(rootDir, overrides = {}) {
  return {
    rootDir,
    displayName: path.relative(__dirname, rootDir),
    testEnvironment: 'node',
    testMatch: ['<rootDir>/test/**/*.test.ts'],
    transform: {
      '^.+\\.tsx?$': [
        '@swc/jest',
        { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
      ],
      // The OTLP exporter loads `http` with a dynamic import(), which Jest's module sandbox refuses without
      // --experimental-vm-modules; compiled to require() here, the real exporter sends spans in tests too.
      '/node_modules/@opentelemetry/otlp-exporter-base/.+\\.js$': [
        '@swc/jest',
        { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' }, module: { type: 'commonjs' } },
      ],
    },
    transformIgnorePatterns: ['/node_modules/(?!@opentelemetry/otlp-exporter-base/)'],
    moduleNameMapper: {
      '^@ticketing/common$': path.join(commonSource, 'index.ts'),
      // One import path per part of common (`@ticketing/common/bus`, `/database`, `/testing`, …).
      '^@ticketing/common/([a-z-]+)$': path.join(commonSource, '$1', 'index.ts'),
      '^@ticketing/stripe-emulator$': path.join(__dirname, 'infra', 'stripe-emulator', 'src', 'emulator.ts'),
      '^@ticketing/local-stack$': path.join(localStackSource, 'index.ts'),
    },
    // PostgreSQL, NATS and Redis: reused where they answer, started (or installed) where they do not.
    globalSetup: path.join(localStackSource, 'test-global-setup.ts'),
    globalTeardown: path.join(localStackSource, 'test-global-teardown.ts'),
    // Real PostgreSQL, NATS and Redis: give slow machines room, never a fake clock.
    testTimeout: 30_000,
    ...overrides,
  };
}

module.exports = { workspaceJestConfig };
