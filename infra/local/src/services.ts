import * as fs from 'node:fs';
import * as path from 'node:path';

/** One process the launcher runs behind the gateway. */
export interface ServiceDefinition {
  /** Short name: the log prefix, and the database `ticketing_<name>`. */
  readonly name: string;
  /** Its workspace folder, relative to the repository root. */
  readonly dir: string;
  /** The port it listens on (on 127.0.0.1, behind the gateway). */
  readonly port: number;
  /** Path prefixes the gateway sends to it; the same rules as the Kubernetes ingress. */
  readonly routes: readonly string[];
  /** Whether it owns a PostgreSQL database, `ticketing_<name>`. */
  readonly database: boolean;
  /**
   * The built entry point, relative to `dir`, run with `node`. Absent while undecided: the client is a
   * Next.js app whose standalone server lives elsewhere than `dist/`.
   */
  readonly entry?: string;
}

/** Every component of Ticketing, in start order. Ports match the Kubernetes manifests. */
export const SERVICES: readonly ServiceDefinition[] = [
  {
    name: 'auth',
    dir: 'auth',
    port: 3001,
    routes: ['/api/users'],
    database: true,
    entry: 'dist/index.js',
  },
  {
    name: 'tickets',
    dir: 'tickets',
    port: 3002,
    routes: ['/api/tickets'],
    database: true,
    entry: 'dist/index.js',
  },
  {
    name: 'orders',
    dir: 'orders',
    port: 3003,
    routes: ['/api/orders'],
    database: true,
    entry: 'dist/index.js',
  },
  {
    name: 'payments',
    dir: 'payments',
    port: 3004,
    routes: ['/api/payments'],
    database: true,
    entry: 'dist/index.js',
  },
  // Expiration only schedules timers in Redis and publishes order.expired: no routes, no database.
  {
    name: 'expiration',
    dir: 'expiration',
    port: 3005,
    routes: [],
    database: false,
    entry: 'dist/index.js',
  },
  { name: 'client', dir: 'client', port: 3100, routes: ['/'], database: false },
];

/** The database a service owns. */
export function databaseNameOf(service: ServiceDefinition): string {
  return `ticketing_${service.name}`;
}

/**
 * The services built so far: those whose workspace folder exists with a package.json. The repository
 * grows one service at a time, and the launcher runs whatever is there.
 */
export function findPresentServices(
  repoRoot: string,
  services: readonly ServiceDefinition[] = SERVICES,
): ServiceDefinition[] {
  return services.filter((service) => fs.existsSync(path.join(repoRoot, service.dir, 'package.json')));
}
