/**
 * The nginx configuration the launcher renders for `STACK_EDGE=nginx`, from the routing table (routing.ts):
 * nginx itself accepts it (`nginx -t`), and it has a location for every rule of the table, the same table the
 * gateway routes by and the cluster's Ingress is checked against (infra/k8s/test/edge.test.ts).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { renderNginxConfig } from '../src/nginx-config';
import { ensureNginx, NGINX_BINARY } from '../src/nginx-edge';
import { edgeRoutes, idempotentWrites, streamRoutes } from '../src/routing';
import { SERVICES } from '../src/services';

const SAMPLE_ID = '0b6f3c1e-8f5a-4c1e-9d2b-3f4a5b6c7d8e';

let dir: string;
let config: string;

beforeAll(async () => {
  await ensureNginx(() => undefined);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nginx-config-test-'));
  fs.mkdirSync(path.join(dir, 'temp'));
  const upstreamOf = (name: string) => name.replace(/-/g, '_');
  config = renderNginxConfig({
    dir,
    listen: ['127.0.0.1:3000', '[::1]:3000'],
    upstreams: SERVICES.map((service) => ({
      name: upstreamOf(service.name),
      servers: [{ origin: `http://127.0.0.1:${service.port}` }, { origin: `http://127.0.0.1:${service.port + 100}` }],
    })),
    routes: edgeRoutes().map((route) => ({ prefix: route.prefix, upstream: upstreamOf(route.service.name) })),
    idempotentWrites: idempotentWrites(),
  });
  fs.writeFileSync(path.join(dir, 'nginx.conf'), config);
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The upstream a location block sends to, by the block's opening line. */
function upstreamOfLocation(opening: string): string | undefined {
  const start = config.indexOf(`${opening} {`);
  if (start === -1) return undefined;
  return /proxy_pass http:\/\/([a-z_]+);/.exec(config.slice(start))?.[1];
}

/** The regular-expression locations, in order, with the upstream of each. */
function regexLocations(): { pattern: RegExp; upstream: string | undefined }[] {
  return [...config.matchAll(/location ~ (\S+) \{/g)].map((match) => ({
    pattern: new RegExp(match[1] as string),
    upstream: upstreamOfLocation(`location ~ ${match[1] as string}`),
  }));
}

it('is a configuration nginx accepts', () => {
  expect(() =>
    execFileSync(
      NGINX_BINARY,
      ['-t', '-q', '-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')],
      {
        stdio: 'pipe',
      },
    ),
  ).not.toThrow();
});

it('sends each prefix of the routing table, and what lies below it, to its service', () => {
  for (const { prefix, service } of edgeRoutes()) {
    const upstream = service.name.replace(/-/g, '_');
    if (prefix === '/') {
      expect([prefix, upstreamOfLocation('location /')]).toEqual([prefix, upstream]);
      continue;
    }
    expect([prefix, upstreamOfLocation(`location = ${prefix}`)]).toEqual([prefix, upstream]);
    expect([prefix, upstreamOfLocation(`location ${prefix}/`)]).toEqual([prefix, upstream]);
  }
});

it('takes every declared stream to its service by its path (the first regular expression that matches)', () => {
  for (const { route, service } of streamRoutes()) {
    const samplePath = route.replace(':id', SAMPLE_ID);
    const first = regexLocations().find((location) => location.pattern.test(samplePath));
    expect([samplePath, first?.upstream]).toEqual([samplePath, service.name]);
  }
  expect(regexLocations().some((location) => location.pattern.test(`/api/tickets/${SAMPLE_ID}`))).toBe(false);
});

it('lets exactly the writes services mark idempotent go to a second replica after they were sent', () => {
  const replayed = [...config.matchAll(/"~\^(\S+) (\S+)" replay;/g)].map((match) => `${match[1]} ${match[2]}`);
  expect(replayed.sort()).toEqual(
    SERVICES.flatMap((service) => service.idempotentWrites ?? [])
      .map((write) => `${write.split(' ')[0]} ${write.split(' ')[1]}/?$`)
      .sort(),
  );
});

it('keeps only what a service marks public, never what sets a cookie, and streams outside the cache', () => {
  expect(config).toMatch(/map \$upstream_http_cache_control \$edge_not_public/);
  expect(config).toMatch(/proxy_no_cache \$edge_not_public \$edge_not_ok;/);
  // nginx itself never keeps an answer with Set-Cookie; nothing here tells it to ignore that header.
  expect(config).not.toMatch(/proxy_ignore_headers|proxy_cache_valid|proxy_cache_use_stale/);
  for (const block of config.split(/location ~ /).slice(1)) {
    const body = block.slice(0, block.indexOf('\n        }\n'));
    expect(body).toMatch(/proxy_cache off;/);
    expect(body).toMatch(/proxy_buffering off;/);
  }
});
