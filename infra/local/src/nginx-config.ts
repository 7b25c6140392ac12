/**
 * The local nginx edge's configuration, rendered from the routing table (routing.ts) with the Node gateway's
 * rules (gateway.ts, micro-cache.ts): longest prefix wins, `/api/users` does not take `/api/usersx`; event
 * streams known by their path, unbuffered, uncached, with an hour's read timeout; a micro-cache that keeps only
 * what a service marks `public, s-maxage=N`; a failed request sent to a second replica only when that cannot do
 * a write twice; 404 and 502 in the API's error envelope. nginx-edge.ts writes it and runs nginx on it.
 */
import * as path from 'node:path';

import type { IdempotentWrite } from './routing';

/** A service's replicas as one nginx `upstream`. */
export interface NginxUpstream {
  /** Its nginx name: letters, digits and `_`. */
  readonly name: string;
  readonly servers: readonly { readonly origin: string; readonly down?: boolean }[];
}

/** What {@link renderNginxConfig} renders. */
export interface NginxConfigSettings {
  /** nginx's own folder (pid, logs, temp files, cache), absolute. */
  readonly dir: string;
  /** `host:port` pairs to listen on (`127.0.0.1:3000`, `[::1]:3000`). */
  readonly listen: readonly string[];
  readonly upstreams: readonly NginxUpstream[];
  /** Prefix rules, each to an upstream by name. */
  readonly routes: readonly { readonly prefix: string; readonly upstream: string }[];
  readonly idempotentWrites: readonly IdempotentWrite[];
  /** The micro-cache; default on. */
  readonly cache?: boolean;
  /** Worker processes; default 1 (see {@link DEFAULT_NGINX_WORKERS}). */
  readonly workers?: number;
  /**
   * The launcher runs as root: the workers stay root too (nginx would switch them to `nobody`, who may not
   * write the temp and cache folders under the data folder), as every service the launcher starts does.
   */
  readonly runAsRoot?: boolean;
}

/**
 * One worker: the gateway is one event loop too, and on a laptop (or this 2-core bench machine) the services
 * need the other cores. A worker answers thousands of requests a second on one core, far beyond what the
 * services behind it can do.
 */
export const DEFAULT_NGINX_WORKERS = 1;

const NOT_FOUND = '{"errors":[{"message":"Not found"}]}';
const UNAVAILABLE = '{"errors":[{"message":"Service unavailable"}]}';
const TOO_LARGE = '{"errors":[{"message":"Request body too large"}]}';

/** A path prefix nginx can take literally: no quotes, spaces, `$`, braces or regex-looking characters. */
const SAFE_PREFIX = /^\/[A-Za-z0-9/_.-]*$/;

/**
 * The nginx.conf of the local edge. Throws on a prefix or an upstream name that would need quoting: the
 * routing table is ours, and a surprise there should stop the start, not be escaped into something else.
 */
export function renderNginxConfig(settings: NginxConfigSettings): string {
  const cache = settings.cache ?? true;
  const dir = settings.dir;
  const upstreamNames = new Set(settings.upstreams.map((upstream) => upstream.name));
  for (const upstream of settings.upstreams) {
    if (!/^[A-Za-z0-9_]+$/.test(upstream.name)) throw new Error(`nginx upstream name "${upstream.name}" is not plain`);
  }
  const routes = settings.routes
    .map((route) => {
      const prefix = route.prefix === '/' ? '/' : route.prefix.replace(/\/+$/, '');
      if (!SAFE_PREFIX.test(prefix)) throw new Error(`route prefix "${route.prefix}" cannot go into nginx.conf`);
      if (!upstreamNames.has(route.upstream)) throw new Error(`route ${prefix} names no upstream ${route.upstream}`);
      return { prefix, upstream: route.upstream };
    })
    .sort((a, b) => b.prefix.length - a.prefix.length);
  const rootRoute = routes.find((route) => route.prefix === '/');

  const lines: string[] = [];
  const add = (indent: number, text: string) => lines.push(text === '' ? '' : `${'    '.repeat(indent)}${text}`);

  lines.push(
    '# Rendered by the launcher (infra/local/src/nginx-config.ts) from the routing table; rewritten at every start.',
    'daemon off;',
    'master_process on;',
    ...(settings.runAsRoot === true ? ['user root;'] : []),
    `worker_processes ${settings.workers ?? DEFAULT_NGINX_WORKERS};`,
    `pid ${path.join(dir, 'nginx.pid')};`,
    `error_log ${path.join(dir, 'error.log')} warn;`,
    'pcre_jit on;',
    // A reload (a replica in or out of the balancing) lets the old worker finish its requests, but an open
    // event stream would keep it alive for an hour: after 10 s it is cut, and the browser reconnects.
    'worker_shutdown_timeout 10s;',
    '',
    'events {',
    '    worker_connections 8192;',
    '}',
    '',
    'http {',
  );
  const temp = (name: string) => path.join(dir, 'temp', name);
  add(1, 'access_log off;');
  add(1, 'server_tokens off;');
  add(1, `client_body_temp_path ${temp('client-body')};`);
  add(1, `proxy_temp_path ${temp('proxy')};`);
  add(1, `fastcgi_temp_path ${temp('fastcgi')};`);
  add(1, `uwsgi_temp_path ${temp('uwsgi')};`);
  add(1, `scgi_temp_path ${temp('scgi')};`);
  add(1, '# The Ingress says the same (proxy-body-size); each service refuses more than 100 kB itself.');
  add(1, 'client_max_body_size 1m;');
  add(1, '# A crowd keeps its connections: no close after nginx’s default 1,000 requests on one.');
  add(1, 'keepalive_requests 100000;');
  add(1, '# Error pages answered from named locations may fail again upstream (a 502 from @…_once).');
  add(1, 'recursive_error_pages on;');
  add(1, '');
  add(1, '# Keep-alive to the services: HTTP/1.1, and no Connection header passed on from the client.');
  add(1, 'proxy_http_version 1.1;');
  add(1, 'proxy_set_header Connection "";');
  add(1, '# Host as it came (cookies and redirects stay right); the edge states the rest, trusting no client.');
  add(1, 'proxy_set_header Host $http_host;');
  add(1, 'proxy_set_header X-Forwarded-For $remote_addr;');
  add(1, 'proxy_set_header X-Forwarded-Proto $scheme;');
  add(1, 'proxy_set_header X-Forwarded-Host $http_host;');
  add(1, 'proxy_set_header X-Request-Id $edge_request_id;');
  add(1, 'map $http_x_request_id $edge_request_id {');
  add(2, 'default $http_x_request_id;');
  add(2, "'' $request_id;");
  add(1, '}');
  add(1, '');
  add(1, '# Which failed requests may go to a second replica (gateway.ts): GET and HEAD (nginx’s default), the');
  add(1, '# writes a service marks idempotent (`replay`, with non_idempotent), POST and PATCH only when nothing was');
  add(1, '# sent (nginx’s rule for them); PUT, DELETE and the rest never (`once`: nginx would resend those).');
  add(1, 'map "$request_method $uri" $edge_retry {');
  add(2, "default '';");
  for (const write of settings.idempotentWrites) {
    add(2, `"~^${write.method} ${write.pathPattern.slice(1)}" replay;`);
  }
  add(2, '"~^(?!(GET|HEAD|POST|PATCH) )" once;');
  add(1, '}');
  if (cache) {
    add(1, '');
    add(1, '# The micro-cache (micro-cache.ts): a GET’s 200 marked `public, s-maxage=N`, kept N seconds.');
    add(
      1,
      `proxy_cache_path ${path.join(dir, 'cache')} levels=1:2 keys_zone=edge_micro:10m max_size=64m inactive=10s use_temp_path=off;`,
    );
    add(1, '# `Cache-Control: no-cache` (a hard reload) goes upstream, and its answer replaces the kept one.');
    add(1, 'map $http_cache_control $edge_fresh_asked {');
    add(2, 'default 0;');
    add(2, '"~*(^|,)\\s*no-cache\\s*(,|$)" 1;');
    add(1, '}');
    add(1, '# A signed-in request skips the cache and its lock: its answer is most likely private, and nginx makes');
    add(1, '# those waiting on the lock poll every 500 ms, where the gateway wakes them with the answer.');
    add(1, 'map "$http_cookie$http_authorization" $edge_signed_in {');
    add(2, "'' 0;");
    add(2, 'default 1;');
    add(1, '}');
    add(1, '# Kept only when the service says `public` (nginx alone would keep any max-age) and only a 200.');
    add(1, 'map $upstream_http_cache_control $edge_not_public {');
    add(2, 'default 1;');
    add(2, '"~*(^|,)\\s*public\\s*(,|$)" 0;');
    add(1, '}');
    add(1, '# The last status counts: `502, 200` is a 200 from the second replica.');
    add(1, 'map $upstream_status $edge_not_ok {');
    add(2, '"~(^| )200$" 0;');
    add(2, 'default 1;');
    add(1, '}');
  }
  add(1, '');
  for (const upstream of settings.upstreams) {
    const servers = upstream.servers;
    // With every replica out, all are tried anyway (as the gateway does): a service answers its own 503s.
    const allDown = servers.every((server) => server.down === true);
    add(1, `upstream ${upstream.name} {`);
    add(2, 'least_conn;');
    for (const server of servers) {
      const { host } = new URL(server.origin);
      add(2, `server ${host} max_fails=1 fail_timeout=1s${server.down === true && !allDown ? ' down' : ''};`);
    }
    add(2, 'keepalive 256;');
    add(2, '# Below the services’ own 5 s, so nginx never sends on a socket the service is closing.');
    add(2, 'keepalive_timeout 4s;');
    add(2, 'keepalive_requests 100000;');
    add(1, '}');
  }
  add(1, '');
  add(1, 'server {');
  for (const address of settings.listen) add(2, `listen ${address};`);
  add(2, 'error_page 502 504 = @edge_unavailable;');
  add(2, 'error_page 413 = @edge_too_large;');
  add(2, '');
  add(2, 'location = /healthz {');
  add(3, 'default_type application/json;');
  add(3, `return 200 '{"status":"ok"}';`);
  add(2, '}');
  add(2, '');
  add(2, '# Event streams, before the prefixes (nginx tries regular expressions first), the longest prefix first.');
  const streamRoutes = routes.filter((route) => route.prefix.startsWith('/api/'));
  for (const route of streamRoutes) {
    const escaped = route.prefix.replace(/[.]/g, '\\.');
    add(2, `location ~ ^${escaped}/(?:[^/]+/)*stream/?$ {`);
    renderStream(add, route.upstream);
    add(2, '}');
  }
  if (rootRoute) {
    add(2, 'location ~ ^/api/(?:[^/]+/)+stream/?$ {');
    renderStream(add, rootRoute.upstream);
    add(2, '}');
  }
  add(2, '');
  for (const route of routes) {
    if (route.prefix === '/') {
      add(2, 'location / {');
      renderProxy(add, route.upstream, cache);
      add(2, '}');
      continue;
    }
    // `/api/users` and what lies below it, never `/api/usersx`.
    add(2, `location = ${route.prefix} {`);
    renderProxy(add, route.upstream, cache);
    add(2, '}');
    add(2, `location ${route.prefix}/ {`);
    renderProxy(add, route.upstream, cache);
    add(2, '}');
  }
  if (!rootRoute) {
    add(2, 'location = / {');
    add(3, 'default_type text/html;');
    const items = routes.map((route) => `<li><code>${route.prefix}</code></li>`).join('');
    add(3, `return 200 '<!doctype html><title>Ticketing</title><h1>Ticketing API is up</h1><ul>${items}</ul>';`);
    add(2, '}');
    add(2, 'location / {');
    add(3, 'default_type application/json;');
    add(3, `return 404 '${NOT_FOUND}';`);
    add(2, '}');
  }
  add(2, '');
  for (const upstream of settings.upstreams) {
    add(2, `location @${upstream.name}_replay {`);
    add(3, `proxy_pass http://${upstream.name};`);
    add(3, 'proxy_next_upstream error timeout non_idempotent;');
    add(2, '}');
    add(2, `location @${upstream.name}_once {`);
    add(3, `proxy_pass http://${upstream.name};`);
    add(3, 'proxy_next_upstream off;');
    add(2, '}');
  }
  add(2, 'location @edge_unavailable {');
  add(3, 'default_type application/json;');
  add(3, `return 502 '${UNAVAILABLE}';`);
  add(2, '}');
  add(2, 'location @edge_too_large {');
  add(3, 'default_type application/json;');
  add(3, `return 413 '${TOO_LARGE}';`);
  add(2, '}');
  add(1, '}');
  lines.push('}', '');
  return lines.join('\n');
}

type Add = (indent: number, text: string) => void;

/** What every proxied location shares: the upstream, the retry rule, the error pages. */
function renderRetry(add: Add, upstream: string): void {
  add(3, `proxy_pass http://${upstream};`);
  add(3, 'proxy_next_upstream error timeout;');
  // error_page on a location replaces the server's, so the server's come again.
  add(3, `error_page 418 = @${upstream}_replay;`);
  add(3, `error_page 419 = @${upstream}_once;`);
  add(3, 'error_page 502 504 = @edge_unavailable;');
  add(3, 'error_page 413 = @edge_too_large;');
  add(3, 'if ($edge_retry = replay) { return 418; }');
  add(3, 'if ($edge_retry = once) { return 419; }');
}

function renderProxy(add: Add, upstream: string, cache: boolean): void {
  renderRetry(add, upstream);
  if (!cache) return;
  add(3, 'proxy_cache edge_micro;');
  add(3, 'proxy_cache_key $http_host$request_uri;');
  add(3, 'proxy_cache_lock on;');
  add(3, 'proxy_cache_lock_timeout 5s;');
  add(3, 'proxy_cache_lock_age 5s;');
  add(3, 'proxy_cache_bypass $edge_fresh_asked $edge_signed_in;');
  add(3, 'proxy_no_cache $edge_not_public $edge_not_ok;');
}

function renderStream(add: Add, upstream: string): void {
  renderRetry(add, upstream);
  add(3, 'proxy_buffering off;');
  add(3, 'proxy_cache off;');
  add(3, 'proxy_read_timeout 3600s;');
  add(3, 'proxy_send_timeout 3600s;');
}
