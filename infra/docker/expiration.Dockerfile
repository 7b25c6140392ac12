# syntax=docker/dockerfile:1
# The expiration service (no database, so no migrations to copy). Built from the repository ROOT, so npm
# workspaces and @ticketing/common resolve:
#   docker build -f infra/docker/expiration.Dockerfile -t ticketing-expiration .
# Stages: manifests (package.json files) → build (every dependency, tsc -b) → dev (skaffold dev only: recompiles
# synced sources) ; manifests → prod-deps (production dependencies only) → the final runtime image.
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
# `npm ci`: exactly the committed lockfile. The workspace root brings TypeScript (a root devDependency).
RUN npm ci --workspace expiration --include-workspace-root
COPY tsconfig.base.json ./
COPY common/ common/
COPY expiration/ expiration/
RUN npx tsc -b expiration

# Dev only (skaffold dev, `docker.target: dev`): every dependency and the compiler stay; infra/docker/dev-watch.sh
# seeds a writable /work (an emptyDir, so the root filesystem stays read-only), recompiles what skaffold syncs
# there and restarts the service on each change.
FROM build AS dev
# As the runtime stage: every interface, not a laptop's 127.0.0.1.
ENV HOST=0.0.0.0
COPY infra/docker/dev-watch.sh /usr/local/lib/dev-watch.sh
USER node
EXPOSE 3005
CMD ["sh", "/usr/local/lib/dev-watch.sh", "expiration"]

FROM manifests AS prod-deps
RUN npm ci --omit=dev --workspace expiration

FROM node:24-bookworm-slim AS runtime
# HOST: its default is 127.0.0.1 (a laptop, behind the local gateway); in a container it must listen on every
# interface, for the probes and its Service (the Deployment sets it too).
ENV NODE_ENV=production HOST=0.0.0.0
WORKDIR /app
COPY --from=prod-deps /app ./
COPY --from=build /app/common/dist common/dist
COPY --from=build /app/expiration/dist expiration/dist
WORKDIR /app/expiration
USER node
EXPOSE 3005
# The package's `start` script, run from the package folder: node dist/index.js
CMD ["node", "dist/index.js"]
