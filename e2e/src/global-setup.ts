/**
 * Jest `globalSetup` of the cross-service and browser suites: the shared infrastructure setup (PostgreSQL,
 * NATS, Redis reused or started, URLs exported to the workers), then one build of every workspace, because
 * the suites run the services' built `dist/index.js` and the client's standalone server exactly as
 * `npm start` does.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { ensureDebianProgram } from '../../infra/local/src/infrastructure';
import infrastructureSetup from '../../infra/local/src/test-global-setup';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const CLIENT = path.join(REPO_ROOT, 'client');

export default async function globalSetup(): Promise<void> {
  await infrastructureSetup();
  await run('npx', ['tsc', '-b'], 'the e2e suite needs built services, and `npx tsc -b`');
  if (fs.existsSync(path.join(CLIENT, 'src', 'app', 'layout.tsx'))) {
    if (clientBuildIsStale()) {
      await run('npm', ['run', 'build', '-w', 'client'], 'the browser suite needs the built client, and `next build`');
    }
    // The browser journeys drive Debian's Chromium: installed here when it may be, never downloaded.
    await ensureDebianProgram(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', 'chromium', (line) =>
      process.stderr.write(`chromium   ${line}\n`),
    );
  }
}

/** True when a client source or config file, or the API's document, is newer than the last build (or there is none). */
function clientBuildIsStale(): boolean {
  const built = path.join(CLIENT, '.next', 'standalone', 'client', 'server.js');
  if (!fs.existsSync(built)) return true;
  const builtAt = fs.statSync(built).mtimeMs;
  const newest = (entry: string): number => {
    const stat = fs.statSync(entry);
    if (!stat.isDirectory()) return stat.mtimeMs;
    return Math.max(stat.mtimeMs, ...fs.readdirSync(entry).map((name) => newest(path.join(entry, name))));
  };
  // The build copies docs/openapi.yaml, which /api/docs serves, into the standalone folder.
  const sources = ['src', 'public', 'next.config.ts', 'package.json', 'tsconfig.json', '../docs/openapi.yaml']
    .map((name) => path.join(CLIENT, name))
    .filter((entry) => fs.existsSync(entry));
  return sources.some((entry) => newest(entry) > builtAt);
}

/** Runs a command at the repository root; quiet when it succeeds, its whole output when it fails. */
function run(command: string, args: string[], what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: REPO_ROOT,
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${what} failed (exit ${code}):\n${output}`));
    });
  });
}
