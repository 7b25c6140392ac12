import path from 'node:path';
import type { NextConfig } from 'next';

// The monorepo root: standalone output mirrors paths from here (so the server is
// .next/standalone/client/server.js), and hoisted node_modules live here.
const repositoryRoot = path.join(__dirname, '..');

// The public pages render the same HTML for everyone (the visitor is filled in by the browser), so the edge
// (the local gateway's micro-cache, ingress-nginx's proxy_cache) may share each for a second: a flash sale's
// crowd costs one render per page per second. Browsers keep nothing (max-age=0), so a reload asks the edge.
// Shared: the documents, and the prefetches of links to them (the same for everyone too). Not shared: the RSC
// payloads of client-side navigations and of `router.refresh()` after a change, which keep Next's `no-store`,
// so a buyer who was just told "the ticket changed" sees the change at once. Next keeps a Cache-Control set
// here on dynamic pages (both are `force-dynamic`); an error page gets its own `no-store`.
const SHARED_FOR_A_SECOND = [{ key: 'Cache-Control', value: 'public, max-age=0, s-maxage=1' }];
const DOCUMENT_REQUEST = [
  { type: 'header', key: 'rsc' },
  { type: 'header', key: 'next-action' },
] as const;
const PREFETCH_REQUEST = [{ type: 'header', key: 'next-router-prefetch' }] as const;
// Ticket ids are UUIDs; /tickets/new is the seller's own form and stays private. /api/docs is the API's reference.
const PUBLIC_PAGES = ['/', '/tickets/:id([0-9a-fA-F-]{36})', '/api/docs'];

const nextConfig: NextConfig = {
  output: 'standalone',
  outputFileTracingRoot: repositoryRoot,
  turbopack: { root: repositoryRoot },
  // The API's document, which the /api/docs routes read at run time (src/lib/api-document.ts).
  outputFileTracingIncludes: { '/api/docs': ['../docs/openapi.yaml'] },
  poweredByHeader: false,
  reactStrictMode: true,
  async headers() {
    return PUBLIC_PAGES.flatMap((source) => [
      { source, missing: [...DOCUMENT_REQUEST], headers: SHARED_FOR_A_SECOND },
      { source, has: [...PREFETCH_REQUEST], headers: SHARED_FOR_A_SECOND },
    ]);
  },
};

export default nextConfig;
