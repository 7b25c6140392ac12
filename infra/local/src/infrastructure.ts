import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { Client } from 'pg';

import {
  delay,
  describeExit,
  hasExited,
  lastLine,
  runCommand,
  stopChildProcess,
  terminateOnExit,
  type CommandResult,
} from './processes';

/** The PostgreSQL server (admin) URL used when `DATABASE_URL` is not set. */
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
/** The NATS URL used when `NATS_URL` is not set. */
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';
/** The Redis URL used when `REDIS_URL` is not set. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** One of the three servers Ticketing needs. */
export type InfrastructureComponent = 'postgres' | 'nats' | 'redis';

/** Options of {@link ensureInfrastructure}. */
export interface EnsureInfrastructureOptions {
  /** Folder for the data of whatever gets started here (the repository's `.data/`). */
  dataDir: string;
  /** Receives one progress line per component (and a line when something is installed or stopped). */
  log: (line: string) => void;
  /** Which components to look for; each defaults to true. */
  need?: { postgres?: boolean; nats?: boolean; redis?: boolean };
  /** Where `DATABASE_URL`, `NATS_URL` and `REDIS_URL` are read from; `process.env` by default. */
  env?: NodeJS.ProcessEnv;
}

/** What {@link ensureInfrastructure} found or started. */
export interface RunningInfrastructure {
  /** The PostgreSQL server (admin) URL; services get their own database on it via {@link ensureDatabase}. */
  databaseUrl: string;
  natsUrl: string;
  redisUrl: string;
  /** The components this call started (and {@link RunningInfrastructure.stop} will stop). */
  started: string[];
  /** Stops what this call started, never what it reused. Idempotent. */
  stop(): Promise<void>;
}

/** An expected failure with a message fit to print as is (no stack trace needed). */
export class InfrastructureError extends Error {
  override readonly name: string = 'InfrastructureError';
}

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

const STARTUP_TIMEOUT_MS = 20_000;
const PROBE_TIMEOUT_MS = 3_000;
const COMPONENTS: readonly InfrastructureComponent[] = ['postgres', 'nats', 'redis'];
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

type ProbeResult = { state: 'up' } | { state: 'down' } | { state: 'wrong'; problem: string };
const UP: ProbeResult = { state: 'up' };
const DOWN: ProbeResult = { state: 'down' };
type Stopper = () => Promise<void>;

interface Context {
  dataDir: string;
  env: NodeJS.ProcessEnv;
  log: (text: string) => void;
}

interface ComponentSpec {
  envVar: string;
  defaultUrl: string;
  defaultPort: number;
  title: string;
  binary: string;
  debianPackage: string;
  probe(url: URL): Promise<ProbeResult>;
  /** The binary (for PostgreSQL: the folder of its binaries), or undefined when not installed. */
  findBinary(env: NodeJS.ProcessEnv): string | undefined;
  start(url: URL, binary: string, context: Context): Promise<Stopper>;
}

const SPECS: Record<InfrastructureComponent, ComponentSpec> = {
  postgres: {
    envVar: 'DATABASE_URL',
    defaultUrl: DEFAULT_DATABASE_URL,
    defaultPort: 5432,
    title: 'PostgreSQL',
    binary: 'initdb',
    debianPackage: 'postgresql',
    probe: probePostgres,
    findBinary: (env) => findPostgresBinDir(env),
    start: startPostgres,
  },
  nats: {
    envVar: 'NATS_URL',
    defaultUrl: DEFAULT_NATS_URL,
    defaultPort: 4222,
    title: 'NATS',
    binary: 'nats-server',
    debianPackage: 'nats-server',
    probe: probeNats,
    findBinary: (env) => findOnPath('nats-server', env),
    start: startNats,
  },
  redis: {
    envVar: 'REDIS_URL',
    defaultUrl: DEFAULT_REDIS_URL,
    defaultPort: 6379,
    title: 'Redis',
    binary: 'redis-server',
    debianPackage: 'redis-server',
    probe: probeRedis,
    findBinary: (env) => findOnPath('redis-server', env),
    start: startRedis,
  },
};

/**
 * Makes PostgreSQL, NATS (with JetStream) and Redis available: reuses each one that answers at its URL
 * (`DATABASE_URL`, `NATS_URL`, `REDIS_URL`, or the local defaults); starts the missing ones when their URL
 * points at this machine, keeping their data under `dataDir`; installs a missing server's Debian package
 * when running as root with apt-get, and otherwise fails with the command that installs it.
 *
 * If one component fails, the ones this call already started are stopped before the error is thrown.
 */
export async function ensureInfrastructure(options: EnsureInfrastructureOptions): Promise<RunningInfrastructure> {
  const env = options.env ?? process.env;
  const dataDir = path.resolve(options.dataDir);
  const urls: Record<InfrastructureComponent, string> = {
    postgres: env.DATABASE_URL || DEFAULT_DATABASE_URL,
    nats: env.NATS_URL || DEFAULT_NATS_URL,
    redis: env.REDIS_URL || DEFAULT_REDIS_URL,
  };
  const wanted = COMPONENTS.filter((name) => options.need?.[name] ?? true);
  const started = new Map<InfrastructureComponent, Stopper>();

  // The three are independent, so they come up side by side; only apt-get is serialised (see below).
  const results = await Promise.allSettled(
    wanted.map(async (name) => {
      const context: Context = {
        dataDir,
        env,
        log: (text) => options.log(`${name.padEnd(10)} ${text}`),
      };
      const stop = await ensureComponent(name, urls[name], context);
      if (stop) started.set(name, stop);
    }),
  );

  const startedNames = COMPONENTS.filter((name) => started.has(name));
  const stopStarted = async (): Promise<void> => {
    // Reverse order of the list: the bus and the queue go before the database their users write to.
    const failures: unknown[] = [];
    for (const name of [...startedNames].reverse()) {
      try {
        await started.get(name)?.();
        options.log(`${name.padEnd(10)} stopped`);
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length > 0) throw failures[0];
  };

  const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure) {
    await stopStarted().catch(() => undefined);
    throw failure.reason;
  }

  let stopping: Promise<void> | undefined;
  return {
    databaseUrl: urls.postgres,
    natsUrl: urls.nats,
    redisUrl: urls.redis,
    started: startedNames,
    stop: () => (stopping ??= stopStarted()),
  };
}

/**
 * Creates database `name` on the server at `adminUrl` unless it exists, and returns its URL (same
 * credentials, host and options; only the path differs).
 */
export async function ensureDatabase(adminUrl: string, name: string): Promise<string> {
  const client = new Client({
    connectionString: adminUrl,
    connectionTimeoutMillis: PROBE_TIMEOUT_MS,
  });
  await client.connect();
  try {
    const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (existing.rowCount === 0) {
      try {
        // CREATE DATABASE cannot run in a transaction, so two callers can both see "missing" and both
        // create: the loser gets a unique violation on pg_database (23505), or duplicate_database (42P04)
        // if the winner committed before it checked. Either way the database exists, which is all we want.
        await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code !== '42P04' && code !== '23505') throw error;
      }
    }
  } finally {
    await client.end();
  }
  return withDatabase(adminUrl, name);
}

/**
 * Drops database `name` on the server at `adminUrl` if it exists, closing any connection still open to it
 * (`WITH (FORCE)`): a test run's databases must go even when a service it stopped left a socket behind.
 */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new Client({
    connectionString: adminUrl,
    connectionTimeoutMillis: PROBE_TIMEOUT_MS,
  });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** The URL of database `name` on the same server as `serverUrl`. */
function withDatabase(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${encodeURIComponent(name)}`;
  return url.toString();
}

async function ensureComponent(
  name: InfrastructureComponent,
  rawUrl: string,
  context: Context,
): Promise<Stopper | undefined> {
  const spec = SPECS[name];
  const url = parseUrl(rawUrl, spec);
  const where = describeServer(url, spec.defaultPort);

  const first = await spec.probe(url);
  if (first.state === 'up') {
    context.log(`reusing ${where}`);
    return undefined;
  }
  if (first.state === 'wrong') throw new InfrastructureError(first.problem);
  if (!LOCAL_HOSTS.has(url.hostname)) {
    throw new InfrastructureError(
      `${spec.title} is not reachable at ${where}, which is not on this machine, so it cannot be started ` +
        `here; start it there or point ${spec.envVar} elsewhere`,
    );
  }

  let binary = spec.findBinary(context.env);
  if (binary === undefined) {
    if (!isRoot() || findOnPath('apt-get', context.env) === undefined) {
      throw new MissingBinaryError(spec.binary, spec.debianPackage);
    }
    context.log(`installing the Debian package ${spec.debianPackage} (apt-get install -y ${spec.debianPackage})`);
    await installDebianPackage(spec.debianPackage, context.env);
    // Debian's maintainer scripts may start the packaged server on its default port straight away.
    if ((await spec.probe(url)).state === 'up') {
      context.log(`reusing ${where} (started by the Debian package)`);
      return undefined;
    }
    binary = spec.findBinary(context.env);
    if (binary === undefined) {
      throw new InfrastructureError(`${spec.debianPackage} was installed but ${spec.binary} is still not found`);
    }
  }
  return spec.start(url, binary, context);
}

// ---------------------------------------------------------------------------------------------- probes

async function probePostgres(url: URL): Promise<ProbeResult> {
  const client = new Client({
    connectionString: url.toString(),
    connectionTimeoutMillis: PROBE_TIMEOUT_MS,
  });
  // A server that goes away mid-probe emits 'error' on the client; without a listener that would crash.
  client.on('error', () => undefined);
  let connected = false;
  try {
    await client.connect();
    connected = true;
    await client.query('SELECT 1');
    return UP;
  } catch (error) {
    if (isUnreachable(error)) return DOWN;
    return {
      state: 'wrong',
      problem: `PostgreSQL at ${describeServer(url, 5432)} answered but refused us: ${errorMessage(error)}`,
    };
  } finally {
    // end() on a client whose connect() failed can wait forever on some versions of pg.
    if (connected) await client.end().catch(() => undefined);
  }
}

/** Errors that mean "nothing usable listens there (yet)", as opposed to "it answered and said no". */
function isUnreachable(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  if (code !== undefined) {
    // 57P03: the database system is starting up / shutting down.
    return [
      'ECONNREFUSED',
      'ECONNRESET',
      'ETIMEDOUT',
      'EHOSTUNREACH',
      'ENETUNREACH',
      'ENOTFOUND',
      'EAI_AGAIN',
      'EADDRNOTAVAIL',
      'ENOENT',
      'EPIPE',
      '57P03',
    ].includes(code);
  }
  return /timeout|terminated/i.test(errorMessage(error));
}

async function probeNats(url: URL): Promise<ProbeResult> {
  const where = describeServer(url, 4222);
  // A NATS server greets every client with one `INFO {json}` line before anything else, even with TLS or
  // authentication configured, so reading that line is enough to know it is NATS and what it offers.
  const reply = await exchange(url, 4222, false, undefined, (text) => text.includes('\r\n'));
  if (!reply.connected) return DOWN;
  const line = reply.received.split('\r\n')[0] ?? '';
  let info: { jetstream?: unknown } | undefined;
  if (line.startsWith('INFO ')) {
    try {
      info = JSON.parse(line.slice(5)) as { jetstream?: unknown };
    } catch {
      info = undefined;
    }
  }
  if (info === undefined) {
    return {
      state: 'wrong',
      problem: `something at ${where} answers, but it is not a NATS server (no INFO line)`,
    };
  }
  if (info.jetstream !== true) {
    return {
      state: 'wrong',
      problem:
        `NATS at ${where} runs without JetStream, which Ticketing needs: restart it with ` +
        '`nats-server -js` (or enable jetstream in its configuration), or point NATS_URL at another server',
    };
  }
  return UP;
}

async function probeRedis(url: URL): Promise<ProbeResult> {
  const secure = url.protocol === 'rediss:';
  const password = decodeURIComponent(url.password);
  const username = decodeURIComponent(url.username);
  const auth =
    password === '' ? '' : encodeCommand(username === '' ? ['AUTH', password] : ['AUTH', username, password]);
  const expectedLines = auth === '' ? 1 : 2;
  const reply = await exchange(
    url,
    6379,
    secure,
    `${auth}PING\r\n`,
    (text) => text.split('\r\n').length > expectedLines,
  );
  if (!reply.connected) return DOWN;
  const lines = reply.received.split('\r\n').filter((line) => line !== '');
  if (lines[lines.length - 1] === '+PONG' && lines.length === expectedLines) return UP;
  const answer = lines.find((line) => line.startsWith('-')) ?? lines[0] ?? 'nothing';
  return {
    state: 'wrong',
    problem: `Redis at ${describeServer(url, 6379)} answered ${answer} to PING`,
  };
}

/**
 * Deletes every key matching `pattern` (a Redis glob, e.g. `bull:e2e_ab12-order-expiration:*`) in the
 * database `redisUrl` names, in one server-side script, and returns how many went. For tests that leave a
 * queue of their own behind: KEYS is fine on a development server, never on a production one.
 */
export async function deleteRedisKeys(redisUrl: string, pattern: string): Promise<number> {
  const url = new URL(redisUrl);
  const password = decodeURIComponent(url.password);
  const username = decodeURIComponent(url.username);
  const commands: string[][] = [];
  if (password !== '') commands.push(username === '' ? ['AUTH', password] : ['AUTH', username, password]);
  const database = url.pathname.replace(/^\//, '');
  if (database !== '') commands.push(['SELECT', database]);
  const script =
    "local keys = redis.call('KEYS', ARGV[1]) for _, key in ipairs(keys) do redis.call('DEL', key) end return #keys";
  commands.push(['EVAL', script, '0', pattern]);
  const reply = await exchange(
    url,
    6379,
    url.protocol === 'rediss:',
    commands.map(encodeCommand).join(''),
    (text) => text.split('\r\n').length > commands.length,
  );
  const lines = reply.received.split('\r\n').filter((line) => line !== '');
  const last = lines[lines.length - 1] ?? '';
  if (!reply.connected || lines.length < commands.length || !last.startsWith(':')) {
    const problem = lines.find((line) => line.startsWith('-')) ?? (reply.connected ? 'no answer' : 'cannot connect');
    throw new InfrastructureError(`could not delete Redis keys ${pattern} at ${describeServer(url, 6379)}: ${problem}`);
  }
  return Number(last.slice(1));
}

/** Encodes a Redis command as a RESP array, which (unlike an inline command) carries any bytes. */
function encodeCommand(parts: readonly string[]): string {
  return `*${parts.length}\r\n${parts.map((part) => `$${Buffer.byteLength(part)}\r\n${part}\r\n`).join('')}`;
}

/** Connects, optionally writes `request`, and reads until `isComplete` or the connection ends. */
function exchange(
  url: URL,
  defaultPort: number,
  secure: boolean,
  request: string | undefined,
  isComplete: (received: string) => boolean,
): Promise<{ connected: boolean; received: string }> {
  const host = hostOf(url);
  const port = portOf(url, defaultPort);
  return new Promise((resolve) => {
    let connected = false;
    let received = '';
    let settled = false;
    const socket = secure
      ? tls.connect({ host, port, servername: net.isIP(host) === 0 ? host : undefined })
      : net.connect({ host, port });
    const finish = (): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve({ connected, received });
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, finish);
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      connected = true;
      if (request !== undefined) socket.write(request);
    });
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('utf8');
      if (isComplete(received)) finish();
    });
    socket.once('error', finish);
    socket.once('close', finish);
  });
}

/**
 * Polls `probe` until the server answers. Fails early when the child it runs in has exited, and on timeout,
 * naming the log file and quoting its last line.
 */
async function waitUntilUp(
  probe: () => Promise<ProbeResult>,
  what: string,
  logFile: string,
  child?: ChildProcess,
): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  let lastProblem = 'no answer';
  for (;;) {
    if (child && hasExited(child)) {
      throw new InfrastructureError(
        `${what} exited (${describeExit(child)}) before it answered; see ${logFile}${quoteLastLogLine(logFile)}`,
      );
    }
    const result = await probe();
    if (result.state === 'up') return;
    if (result.state === 'wrong') lastProblem = result.problem;
    if (Date.now() > deadline) {
      throw new InfrastructureError(
        `${what} did not answer within ${STARTUP_TIMEOUT_MS / 1000} s (${lastProblem}); ` +
          `see ${logFile}${quoteLastLogLine(logFile)}`,
      );
    }
    await delay(100);
  }
}

function quoteLastLogLine(logFile: string): string {
  try {
    const line = lastLine(fs.readFileSync(logFile, 'utf8'));
    return line === '' ? '' : ` (last line: ${line})`;
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------------------------------- NATS, Redis

async function startNats(url: URL, binary: string, context: Context): Promise<Stopper> {
  const host = bindAddress(url);
  const port = portOf(url, 4222);
  const storeDir = path.join(context.dataDir, 'nats');
  fs.mkdirSync(storeDir, { recursive: true });
  const logFile = path.join(context.dataDir, 'nats.log');
  const child = spawnServer(binary, ['-js', '-a', host, '-p', String(port), '-sd', storeDir], logFile, context);
  await stopOnFailure(
    child,
    waitUntilUp(() => probeNats(url), 'nats-server', logFile, child),
  );
  context.log(`started nats-server on ${hostPort(host, port)} (data in ${displayPath(storeDir)})`);
  return () => stopChildProcess(child);
}

async function startRedis(url: URL, binary: string, context: Context): Promise<Stopper> {
  const host = bindAddress(url);
  const port = portOf(url, 6379);
  const dir = path.join(context.dataDir, 'redis');
  fs.mkdirSync(dir, { recursive: true });
  const logFile = path.join(context.dataDir, 'redis.log');
  const args = [
    '--bind',
    host,
    '--port',
    String(port),
    '--dir',
    dir,
    // The append-only file keeps queued expirations across restarts; BullMQ requires noeviction, since an
    // evicted job key would silently lose an expiration.
    '--appendonly',
    'yes',
    '--maxmemory-policy',
    'noeviction',
    '--save',
    '',
  ];
  const password = decodeURIComponent(url.password);
  if (password !== '') args.push('--requirepass', password);
  const child = spawnServer(binary, args, logFile, context);
  await stopOnFailure(
    child,
    waitUntilUp(() => probeRedis(url), 'redis-server', logFile, child),
  );
  context.log(`started redis-server on ${hostPort(host, port)} (data in ${displayPath(dir)})`);
  return () => stopChildProcess(child);
}

/** Starts a server in its own process group with its output appended to `logFile`. */
function spawnServer(binary: string, args: readonly string[], logFile: string, context: Context): ChildProcess {
  const logFd = fs.openSync(logFile, 'a');
  try {
    const child = spawn(binary, args, {
      cwd: context.dataDir,
      env: context.env,
      stdio: ['ignore', logFd, logFd],
      detached: true,
    });
    // A spawn failure (ENOENT, EACCES) is reported as an exit by waitUntilUp; this keeps it from crashing us.
    child.on('error', () => undefined);
    terminateOnExit(child);
    return child;
  } finally {
    fs.closeSync(logFd);
  }
}

async function stopOnFailure(child: ChildProcess, ready: Promise<void>): Promise<void> {
  try {
    await ready;
  } catch (error) {
    await stopChildProcess(child);
    throw error;
  }
}

// ------------------------------------------------------------------------------------------ PostgreSQL

const POSTGRES_LIB = '/usr/lib/postgresql';

/** The folder with `initdb` and `pg_ctl`: Debian keeps them off PATH, one folder per major version. */
function findPostgresBinDir(env: NodeJS.ProcessEnv, major?: string): string | undefined {
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

async function startPostgres(url: URL, newestBinDir: string, context: Context): Promise<Stopper> {
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
  context: Context,
): Promise<CommandResult> {
  // The working directory must be one the postgres user can enter, or initdb complains.
  const options = { cwd: context.dataDir, env: context.env };
  return account
    ? runCommand('runuser', ['-u', 'postgres', '--', program, ...args], options)
    : runCommand(program, args, options);
}

function assertSucceeded(result: CommandResult, what: string): void {
  if (result.code !== 0) {
    throw new InfrastructureError(`${what} failed (exit code ${String(result.code)}): ${lastLine(result.output)}`);
  }
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

// ---------------------------------------------------------------------------------------------- apt-get

let aptQueue: Promise<unknown> = Promise.resolve();
let aptUpdated = false;

/** Installs a Debian package; calls are queued because apt-get holds a lock while it works. */
function installDebianPackage(debianPackage: string, env: NodeJS.ProcessEnv): Promise<void> {
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
  if (!isRoot() || findOnPath('apt-get', env) === undefined) {
    throw new MissingBinaryError(path.basename(program), debianPackage);
  }
  log(`installing the Debian package ${debianPackage} (apt-get install -y ${debianPackage})`);
  await installDebianPackage(debianPackage, env);
  if (!fs.existsSync(program)) {
    throw new InfrastructureError(`${debianPackage} was installed but ${program} is still not found`);
  }
}

// ------------------------------------------------------------------------------------------------ helpers

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** Finds a program on PATH, plus the sbin folders that a regular user's PATH lacks (nats-server lives there). */
function findOnPath(program: string, env: NodeJS.ProcessEnv): string | undefined {
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

function parseUrl(raw: string, spec: ComponentSpec): URL {
  // NATS accepts a comma-separated server list and bare host:port; the first server decides.
  const first = (raw.split(',')[0] ?? '').trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(first) ? first : `${new URL(spec.defaultUrl).protocol}//${first}`;
  try {
    return new URL(withScheme);
  } catch {
    throw new InfrastructureError(`${spec.envVar} is not a valid URL: ${raw}`);
  }
}

function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
}

function portOf(url: URL, defaultPort: number): number {
  return url.port === '' ? defaultPort : Number(url.port);
}

/**
 * The address a server we start listens on. `localhost` becomes 127.0.0.1 because clients resolving
 * localhost try both families (Node's autoSelectFamily), while a server bound by name would pick one.
 */
function bindAddress(url: URL): string {
  const host = hostOf(url);
  return host === 'localhost' ? '127.0.0.1' : host;
}

function hostPort(host: string, port: number): string {
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/** `postgres://postgres@127.0.0.1:5432`: scheme, user and address, never the password. */
function describeServer(url: URL, defaultPort: number): string {
  const user = url.username === '' ? '' : `${decodeURIComponent(url.username)}@`;
  return `${url.protocol}//${user}${hostPort(hostOf(url), portOf(url, defaultPort))}`;
}

/** A path relative to the working directory when it lies below it (`.data/nats`), else absolute. */
function displayPath(target: string): string {
  const relative = path.relative(process.cwd(), target);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : target;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
