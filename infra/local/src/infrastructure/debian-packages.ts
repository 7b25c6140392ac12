import * as fs from 'node:fs';
import * as path from 'node:path';

import { runCommand } from '../processes';
import { assertSucceeded, InfrastructureError } from './errors';

/** A server binary is missing and could not be installed here; the message is the command that installs it. */
export class MissingBinaryError extends InfrastructureError {
  override readonly name: string = 'MissingBinaryError';

  constructor(
    /** The program that is missing, e.g. `nats-server`. */
    readonly binary: string,
    /** The Debian package that provides it. */
    readonly debianPackage: string,
  ) {
    super(`${isRoot() ? '' : 'sudo '}apt-get install -y ${debianPackage}`);
  }
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** Whether this process may install Debian packages itself: root, with apt-get on the PATH. */
export function canInstallPackages(env: NodeJS.ProcessEnv): boolean {
  return isRoot() && findOnPath('apt-get', env) !== undefined;
}

/** Finds a program on PATH, plus the sbin folders that a regular user's PATH lacks (nats-server lives there). */
export function findOnPath(program: string, env: NodeJS.ProcessEnv): string | undefined {
  const dirs = [...(env.PATH ?? '').split(path.delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  for (const dir of dirs) {
    if (dir === '') continue;
    const candidate = path.join(dir, program);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

let aptQueue: Promise<unknown> = Promise.resolve();
let aptUpdated = false;

/** Installs a Debian package; calls are queued because apt-get holds a lock while it works. */
export function installDebianPackage(debianPackage: string, env: NodeJS.ProcessEnv): Promise<void> {
  const aptEnv = { ...env, DEBIAN_FRONTEND: 'noninteractive' };
  const run = aptQueue.then(async () => {
    if (!aptUpdated) {
      assertSucceeded(await runCommand('apt-get', ['update'], { env: aptEnv }), 'apt-get update');
      aptUpdated = true;
    }
    assertSucceeded(
      await runCommand('apt-get', ['install', '-y', debianPackage], { env: aptEnv }),
      `apt-get install -y ${debianPackage}`,
    );
  });
  aptQueue = run.catch(() => undefined);
  return run;
}

/**
 * Makes sure a program from a Debian package is there (the browser tests' Chromium, say): present, nothing
 * to do; absent, installed with apt-get when running as root (said in one line); otherwise a
 * {@link MissingBinaryError} whose message is the exact install command.
 */
export async function ensureDebianProgram(
  program: string,
  debianPackage: string,
  log: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  if (fs.existsSync(program)) return;
  if (!canInstallPackages(env)) throw new MissingBinaryError(path.basename(program), debianPackage);
  log(`installing the Debian package ${debianPackage} (apt-get install -y ${debianPackage})`);
  await installDebianPackage(debianPackage, env);
  if (!fs.existsSync(program)) {
    throw new InfrastructureError(`${debianPackage} was installed but ${program} is still not found`);
  }
}
