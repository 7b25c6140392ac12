// One ESLint setup for every workspace: TypeScript-aware recommended rules; Prettier owns formatting.
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');
const prettier = require('eslint-config-prettier');
const globals = require('globals');

module.exports = tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/.next/**', '.data/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      'no-console': 'error',
    },
  },
  {
    // Type-aware, so only where a tsconfig.json covers the files (every workspace's src/): a switch over an
    // outcome or status union must name every member, so a new outcome can never be acked silently. A
    // `default` does not count as handling the members left out; assertNever (common) is the default of a
    // switch that must also refuse, at run time, a value from a newer payload.
    files: ['{common,auth,tickets,orders,payments,expiration,e2e,bench}/src/**/*.ts', 'infra/*/src/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: __dirname } },
    rules: {
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: false }],
    },
  },
  {
    files: ['**/*.js'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The web app's service workers (client/public/pass-sw.js) run in the browser, not in Node.
    files: ['client/public/**/*.js'],
    languageOptions: { globals: { ...globals.serviceworker } },
  },
  {
    files: ['**/test/**/*.ts', 'bench/**', 'e2e/**'],
    languageOptions: { globals: { ...globals.jest } },
  },
  prettier,
);
