/**
 * Jest `globalSetup` of the cross-service suite: the shared infrastructure setup (PostgreSQL, NATS, Redis
 * reused or started, URLs exported to the workers), then one build of every workspace, because the suite
 * runs the services' built `dist/index.js` exactly as `npm start` does.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';

import infrastructureSetup from '../../infra/local/src/test-global-setup';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

export default async function globalSetup(): Promise<void> {
  await infrastructureSetup();
  await buildWorkspaces();
}

/** `npx tsc -b` at the repository root; quiet when it succeeds, its whole output when it fails. */
function buildWorkspaces(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['tsc', '-b'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve();
      else
        reject(new Error(`the e2e suite needs built services, and \`npx tsc -b\` failed (exit ${code}):\n${output}`));
    });
  });
}
