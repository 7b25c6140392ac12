import * as fs from 'node:fs';
import * as path from 'node:path';

const PACKAGE_NAME = '@ticketing/local-stack';

/**
 * The repository root: two levels above this package (`infra/local`). Found by walking up to this package's
 * package.json, so it is right whether the code runs from `src/` (Jest) or `dist/` (npm start).
 */
export function findRepoRoot(start: string = __dirname): string {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      const { name } = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string };
      if (name === PACKAGE_NAME) return path.resolve(dir, '..', '..');
    }
    if (path.dirname(dir) === dir) throw new Error(`${PACKAGE_NAME}: no package.json of its own above ${start}`);
  }
}

/** `<repo root>/.data`: where locally started servers keep their data (git-ignored). */
export function defaultDataDir(): string {
  return path.join(findRepoRoot(), '.data');
}
