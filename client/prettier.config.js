// The repository's Prettier settings, plus one exception: Next rewrites next-env.d.ts with double quotes on
// every build, so that generated file keeps them.
const shared = require('../.prettierrc.json');

module.exports = {
  ...shared,
  overrides: [{ files: 'next-env.d.ts', options: { singleQuote: false } }],
};
