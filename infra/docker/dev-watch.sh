#!/bin/sh
# DEV ONLY: the command of the `dev` stage of the Node service images (skaffold dev builds that stage).
#
# skaffold syncs edited `<package>/src/**/*.ts` into /work instead of rebuilding the image. The image's root
# filesystem stays read-only: /work is an emptyDir (infra/k8s/overlays/dev), seeded here from the image the first
# time the pod starts (a container restart keeps what was synced since). The TypeScript compiler watches the
# package's sources there and `node --watch` restarts the service whenever its compiled output changes.
# Dependencies and the compiled @ticketing/common are read from the image through symlinks; a change to common, a
# dependency or a migration is not synced, so skaffold rebuilds the image for it.
#
# Usage: dev-watch.sh <workspace folder>   (auth, tickets, …, infra/stripe-emulator)
set -eu

package="$1"
app="${APP_ROOT:-/app}"
work="${WORK_ROOT:-/work}"

if [ ! -f "$work/$package/package.json" ]; then
  mkdir -p "$work/$(dirname "$package")"
  cp -R "$app/$package" "$work/$package"
  cp "$app/tsconfig.base.json" "$work/tsconfig.base.json"
  ln -s "$app/node_modules" "$work/node_modules"
  ln -s "$app/common" "$work/common"
fi

cd "$work"
# Not build mode (-b): common is already compiled in the image and its folder is read-only.
node "$app/node_modules/typescript/bin/tsc" -p "$package/tsconfig.json" --watch --preserveWatchOutput &
exec node --watch "$package/dist/index.js"
