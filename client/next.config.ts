import path from 'node:path';
import type { NextConfig } from 'next';

// The monorepo root: standalone output mirrors paths from here (so the server is
// .next/standalone/client/server.js), and hoisted node_modules live here.
const repositoryRoot = path.join(__dirname, '..');

const nextConfig: NextConfig = {
  output: 'standalone',
  outputFileTracingRoot: repositoryRoot,
  turbopack: { root: repositoryRoot },
  poweredByHeader: false,
  reactStrictMode: true,
};

export default nextConfig;
