import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const DOCUMENT = path.join(REPO_ROOT, 'docs', 'openapi.yaml');

/**
 * Runs a Node script and returns what it printed. The validator and openapi-typescript are ES modules, which
 * this Jest setup (CommonJS) cannot load: they run as the commands a developer runs.
 */
function runScript(script: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [script, ...args], { cwd: REPO_ROOT, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('docs/openapi.yaml, the HTTP API', () => {
  it('is an OpenAPI 3.1 document that its official JSON Schema accepts', () => {
    const document = parse(fs.readFileSync(DOCUMENT, 'utf8')) as { openapi: string };
    expect(document.openapi).toMatch(/^3\.1\.\d+$/);
    const validator = path.join(
      path.dirname(require.resolve('@seriousme/openapi-schema-validator/package.json')),
      'bin',
      'validate-api-cli.js',
    );
    const result = runScript(validator, [DOCUMENT]);
    expect({ status: result.status, output: JSON.parse(result.stdout) as unknown }).toEqual({
      status: 0,
      output: { valid: true },
    });
  });

  it('is what the types of @ticketing/common/api (common/src/api/openapi.ts) were generated from', () => {
    const result = runScript(path.join(REPO_ROOT, 'common', 'scripts', 'api-types.mjs'), ['--check']);
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
  });
});
