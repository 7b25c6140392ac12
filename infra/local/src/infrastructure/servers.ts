import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { spawnServer, stopChildProcess } from '../processes';
import { bindAddress, displayPath, hostPort, portOf } from './addresses';
import { probeNats, probeRedis, waitUntilUp } from './probes';

/** What starting a server needs to know: where its data goes, its environment, and where it reports. */
export interface ServerContext {
  dataDir: string;
  env: NodeJS.ProcessEnv;
  log: (text: string) => void;
}

/** Stops a server this process started. */
export type Stopper = () => Promise<void>;

export async function startNats(url: URL, binary: string, context: ServerContext): Promise<Stopper> {
  const host = bindAddress(url);
  const port = portOf(url, 4222);
  const storeDir = path.join(context.dataDir, 'nats');
  fs.mkdirSync(storeDir, { recursive: true });
  const logFile = path.join(context.dataDir, 'nats.log');
  const child = spawnServer(binary, ['-js', '-a', host, '-p', String(port), '-sd', storeDir], logFile, {
    cwd: context.dataDir,
    env: context.env,
  });
  await stopOnFailure(
    child,
    waitUntilUp(() => probeNats(url), 'nats-server', logFile, child),
  );
  context.log(`started nats-server on ${hostPort(host, port)} (data in ${displayPath(storeDir)})`);
  return () => stopChildProcess(child);
}

export async function startRedis(url: URL, binary: string, context: ServerContext): Promise<Stopper> {
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
  const child = spawnServer(binary, args, logFile, { cwd: context.dataDir, env: context.env });
  await stopOnFailure(
    child,
    waitUntilUp(() => probeRedis(url), 'redis-server', logFile, child),
  );
  context.log(`started redis-server on ${hostPort(host, port)} (data in ${displayPath(dir)})`);
  return () => stopChildProcess(child);
}

async function stopOnFailure(child: ChildProcess, ready: Promise<void>): Promise<void> {
  try {
    await ready;
  } catch (error) {
    await stopChildProcess(child);
    throw error;
  }
}
