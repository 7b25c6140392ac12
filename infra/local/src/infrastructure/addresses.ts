import * as net from 'node:net';
import * as path from 'node:path';

import { InfrastructureError } from './errors';

/** Hosts that mean "this machine": a server missing there may be started here. */
export const LOCAL_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/**
 * Parses a server URL from the environment. NATS accepts a comma-separated server list and bare host:port;
 * the first server decides, and a missing scheme is taken from `defaultUrl`.
 */
export function parseServerUrl(raw: string, envVar: string, defaultUrl: string): URL {
  const first = (raw.split(',')[0] ?? '').trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(first) ? first : `${new URL(defaultUrl).protocol}//${first}`;
  try {
    return new URL(withScheme);
  } catch {
    throw new InfrastructureError(`${envVar} is not a valid URL: ${raw}`);
  }
}

export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
}

export function portOf(url: URL, defaultPort: number): number {
  return url.port === '' ? defaultPort : Number(url.port);
}

/**
 * The address a server we start listens on. `localhost` becomes 127.0.0.1 because clients resolving
 * localhost try both families (Node's autoSelectFamily), while a server bound by name would pick one.
 */
export function bindAddress(url: URL): string {
  const host = hostOf(url);
  return host === 'localhost' ? '127.0.0.1' : host;
}

export function hostPort(host: string, port: number): string {
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/** `postgres://postgres@127.0.0.1:5432`: scheme, user and address, never the password. */
export function describeServer(url: URL, defaultPort: number): string {
  const user = url.username === '' ? '' : `${decodeURIComponent(url.username)}@`;
  return `${url.protocol}//${user}${hostPort(hostOf(url), portOf(url, defaultPort))}`;
}

/** A path relative to the working directory when it lies below it (`.data/nats`), else absolute. */
export function displayPath(target: string): string {
  const relative = path.relative(process.cwd(), target);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : target;
}
