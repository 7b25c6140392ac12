# syntax=docker/dockerfile:1
# The Next.js client. Built from the repository ROOT (npm workspaces; Next traces files from the repo root):
#   docker build -f infra/docker/client.Dockerfile -t ticketing-client .
# Stages: manifests (package.json files) → build (common's type declarations, then `npm run build -w client`: next
# build with `output: "standalone"`, then scripts/complete-standalone.js copies .next/static beside the server) → the
# final runtime image, which holds only the standalone folder: the server, its traced production dependencies and
# the browser assets.
# Base image: Debian 12 slim with the current Node LTS; why not alpine is in infra/k8s/README.md.

FROM node:24-bookworm-slim AS manifests
WORKDIR /app
ENV npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
# Every workspace's package.json (npm reads the whole workspace map to honour the lockfile); nothing else, so
# this layer and the install below are rebuilt only when dependencies change.
COPY package.json package-lock.json ./
COPY common/package.json common/
COPY infra/local/package.json infra/local/
COPY infra/stripe-emulator/package.json infra/stripe-emulator/
COPY auth/package.json auth/
COPY tickets/package.json tickets/
COPY orders/package.json orders/
COPY expiration/package.json expiration/
COPY payments/package.json payments/
COPY client/package.json client/
COPY infra/k8s/package.json infra/k8s/
COPY e2e/package.json e2e/
COPY bench/package.json bench/

FROM manifests AS build
ENV NEXT_TELEMETRY_DISABLED=1
# `npm ci`: exactly the committed lockfile. The workspace root brings TypeScript, which `next build` needs for
# a TypeScript project.
RUN npm ci --workspace client --include-workspace-root
# The client is type-checked against @ticketing/common/api (types only: nothing of common is bundled), whose
# declarations are common's build output.
COPY tsconfig.base.json ./
COPY common/ common/
RUN npx tsc -b common
# The API's document, which /api/docs serves: `next build` copies it into the standalone folder.
COPY docs/openapi.yaml docs/
COPY client/ client/
RUN npm run build --workspace client

FROM node:24-bookworm-slim AS runtime
# HOSTNAME: Kubernetes sets it to the pod name, and the standalone server listens on HOSTNAME: bind every
# interface instead (the Deployment sets it too).
ENV NODE_ENV=production NEXT_TELEMETRY_DISABLED=1 HOSTNAME=0.0.0.0 PORT=3100
WORKDIR /app/client
# The standalone folder keeps the repo layout (outputFileTracingRoot is the repo root), so the package's `start`
# script works unchanged from the package folder. Its server chdirs to its own folder on start.
COPY --from=build /app/client/.next/standalone .next/standalone
USER node
EXPOSE 3100
# The package's `start` script, run from the package folder: node .next/standalone/client/server.js
CMD ["node", ".next/standalone/client/server.js"]
