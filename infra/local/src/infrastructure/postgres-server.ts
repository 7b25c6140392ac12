import * as fs from 'node:fs';
import * as path from 'node:path';

import { lastLine, runCommand, type CommandResult } from '../processes';
import { bindAddress, displayPath, hostPort, portOf } from './addresses';
import { withDatabase, ensureDatabase } from './databases';
import { findOnPath, isRoot } from './debian-packages';
import { assertSucceeded, InfrastructureError } from './errors';
import { probePostgres, quoteLastLogLine, STARTUP_TIMEOUT_MS, waitUntilUp } from './probes';
import type { ServerContext, Stopper } from './servers';

const POSTGRES_LIB = '/usr/lib/postgresql';

/** The folder with `initdb` and `pg_ctl`: Debian keeps them off PATH, one folder per major version. */
export function findPostgresBinDir(env: NodeJS.ProcessEnv, major?: string): string | undefined {
  let versions: string[] = [];
  try {
    versions = fs
      .readdirSync(POSTGRES_LIB)
      .filter((version) => fs.existsSync(path.join(POSTGRES_LIB, version, 'bin', 'pg_ctl')))
      .sort((a, b) => Number(b) - Number(a));
  } catch {
    versions = [];
  }
  if (major !== undefined) {
    return versions.includes(major) ? path.join(POSTGRES_LIB, major, 'bin') : undefined;
  }
  if (versions[0] !== undefined) return path.join(POSTGRES_LIB, versions[0], 'bin');
  const pgCtl = findOnPath('pg_ctl', env);
  return pgCtl !== undefined && findOnPath('initdb', env) !== undefined ? path.dirname(pgCtl) : undefined;
}

export async function startPostgres(url: URL, newestBinDir: string, context: ServerContext): Promise<Stopper> {
  const host = bindAddress(url);
  const port = portOf(url, 5432);
  const user = decodeURIComponent(url.username) || 'postgres';
  const clusterDir = path.join(context.dataDir, 'postgres');
  const socketDir = path.join(context.dataDir, 'postgres-socket');
  const logFile = path.join(context.dataDir, 'postgres.log');

  // initdb and postgres refuse to run as root; as root we hand the cluster to Debian's postgres user.
  const account = isRoot() ? readSystemAccount('postgres') : undefined;
  if (isRoot() && account === undefined) {
    throw new InfrastructureError(
      'PostgreSQL refuses to run as root and there is no postgres system user to run it as; ' +
        'install the Debian package postgresql (which creates it) or run as a regular user',
    );
  }
  fs.mkdirSync(context.dataDir, { recursive: true });
  if (account) makeTraversable(context.dataDir, context.log);
  for (const dir of [clusterDir, socketDir]) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (account) chownTree(dir, account);
  }
  if (!fs.existsSync(logFile)) fs.writeFileSync(logFile, '');
  if (account) fs.chownSync(logFile, account.uid, account.gid);

  const versionFile = path.join(clusterDir, 'PG_VERSION');
  const fresh = !fs.existsSync(versionFile);
  let binDir = newestBinDir;
  if (fresh) {
    if (fs.readdirSync(clusterDir).length > 0) {
      throw new InfrastructureError(`${clusterDir} is not empty but holds no PostgreSQL cluster; remove it`);
    }
    const result = await runAs(
      account,
      path.join(binDir, 'initdb'),
      [
        '-D',
        clusterDir,
        '-U',
        user,
        '--auth=trust',
        '--encoding=UTF8',
        // The C locale exists everywhere, so initdb cannot fail on a machine without generated locales.
        '--locale=C',
      ],
      context,
    );
    assertSucceeded(result, 'initdb');
  } else {
    // A cluster only runs under the major version that created it.
    const major = fs.readFileSync(versionFile, 'utf8').trim();
    const matching = findPostgresBinDir(context.env, major);
    if (matching === undefined) {
      throw new InfrastructureError(
        `${clusterDir} was created by PostgreSQL ${major}, which is not installed; install ` +
          `postgresql-${major}, or remove that folder to start with an empty cluster`,
      );
    }
    binDir = matching;
  }

  const pgCtl = path.join(binDir, 'pg_ctl');
  // pg_ctl hands these options to a shell, hence the single quotes.
  const serverOptions = `-p ${port} -k '${socketDir}' -c listen_addresses='${host}'`;
  const started = await runAs(
    account,
    pgCtl,
    ['-D', clusterDir, '-o', serverOptions, '-l', logFile, '-w', '-t', String(STARTUP_TIMEOUT_MS / 1000), 'start'],
    context,
  );
  if (started.code !== 0) {
    throw new InfrastructureError(
      `PostgreSQL did not start (pg_ctl: ${lastLine(started.output)}); see ${logFile}${quoteLastLogLine(logFile)}`,
    );
  }
  const stop: Stopper = async () => {
    assertSucceeded(
      await runAs(account, pgCtl, ['-D', clusterDir, '-m', 'fast', '-w', 'stop'], context),
      'pg_ctl stop',
    );
  };

  try {
    // A fresh cluster has only the `postgres` database; the URL may name another one.
    const adminUrl = withDatabase(url.toString(), 'postgres');
    await waitUntilUp(() => probePostgres(new URL(adminUrl)), 'PostgreSQL', logFile);
    const database = decodeURIComponent(url.pathname.slice(1)) || user;
    if (database !== 'postgres') await ensureDatabase(adminUrl, database);
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
  const version = /postgresql\/(\d+)\/bin/.exec(binDir)?.[1];
  context.log(
    `started PostgreSQL${version ? ` ${version}` : ''} on ${hostPort(host, port)} ` +
      `(${fresh ? 'new cluster' : 'data'} in ${displayPath(clusterDir)})`,
  );
  return stop;
}

interface SystemAccount {
  uid: number;
  gid: number;
}

function readSystemAccount(name: string): SystemAccount | undefined {
  let passwd = '';
  try {
    passwd = fs.readFileSync('/etc/passwd', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of passwd.split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name && uid !== undefined && gid !== undefined) return { uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}

/** Runs a PostgreSQL program as the postgres user when we are root, else as ourselves. */
function runAs(
  account: SystemAccount | undefined,
  program: string,
  args: readonly string[],
  context: ServerContext,
): Promise<CommandResult> {
  // The working directory must be one the postgres user can enter, or initdb complains.
  const options = { cwd: context.dataDir, env: context.env };
  return account
    ? runCommand('runuser', ['-u', 'postgres', '--', program, ...args], options)
    : runCommand(program, args, options);
}

/**
 * The postgres user must walk from / down to its data. Only the search bit (o+x) is added, so nobody can
 * list these folders who could not before; typical victims are a 0700 home or a mkdtemp folder.
 */
function makeTraversable(dir: string, log: (text: string) => void): void {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    const mode = fs.statSync(current).mode;
    if ((mode & 0o001) === 0) {
      fs.chmodSync(current, (mode & 0o7777) | 0o001);
      log(`made ${current} traversable (o+x) so the postgres user can reach its data`);
    }
    if (path.dirname(current) === current) break;
  }
}

function chownTree(dir: string, account: SystemAccount): void {
  if (fs.statSync(dir).uid === account.uid) return;
  fs.chownSync(dir, account.uid, account.gid);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const child = path.join(dir, entry.name);
    if (entry.isDirectory()) chownTree(child, account);
    else fs.lchownSync(child, account.uid, account.gid);
  }
}
