# syntax=docker/dockerfile:1
# One image for the game server, the trainer and the operator: `rpsq app | train | operator`.
#   docker build -t rps-quest:dev .        (make image)
# BASE is any Debian-based Node 20 image with npm; `make cluster` builds one from Debian's own
# packages (hack/cluster/base.Dockerfile) where the registry's cannot be pulled.
ARG BASE=node:20-bookworm-slim

# --- dependencies: production packages only ---
FROM ${BASE} AS deps
# a CA that a TLS-intercepting proxy needs trusted, for npm during the build only (make cluster
# passes the machine's); empty by default, and never in the final image
ARG NODE_EXTRA_CA_CERTS=
WORKDIR /app
# A compiler only for native modules without a prebuilt binary for this platform (better-sqlite3).
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
  && rm -rf /var/lib/apt/lists/*
# The repository's .npmrc points node-gyp at Debian's Node headers; this image brings its own Node,
# so only its one other setting is repeated here: onnxruntime-node's CPU binaries are bundled,
# nothing else (CUDA) is downloaded.
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json ./
# tsx is a dependency for `make dev` and the tests; the image runs compiled JavaScript only.
# onnxruntime-node bundles its native runtime for every platform (about 290 MB) and loads
# bin/napi-v*/<platform>/<arch>: only this platform's stays (245 MB less on linux/x64).
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force && rm -rf node_modules/tsx \
  && keep="$(node -p 'process.platform + "/" + process.arch')" \
  && for dir in node_modules/onnxruntime-node/bin/napi-v*/*/*; do \
       case "$dir" in */"$keep") ;; *) rm -rf "$dir" ;; esac; \
     done \
  && find node_modules/onnxruntime-node/bin -type d -empty -delete \
  && ls node_modules/onnxruntime-node/bin/napi-v*/"$keep"/onnxruntime_binding.node >/dev/null

# --- everything compiled to JavaScript (tsconfig.build.json): no TypeScript at runtime; the
# operator needs ~90 MB less memory than through tsx (docs/performance.md). No native module is
# built here: tsc needs none. ---
FROM ${BASE} AS build
ARG NODE_EXTRA_CA_CERTS=
WORKDIR /app
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json cli.ts ./
COPY core ./core
COPY lib ./lib
COPY app ./app
COPY trainer ./trainer
COPY operator ./operator
# cli.ts names `rpsq dev` (hack/dev.ts), so tsc needs hack/ to check it; hack/ is not in the image
COPY hack ./hack
# the web UI's files and package.json (the trainer's version) sit where the compiled modules look
RUN npx tsc -p tsconfig.build.json \
  && rm -rf dist/hack \
  && cp -r app/public dist/app/public \
  && find dist/app/public -name '*.d.ts' -delete \
  && cp package.json dist/package.json

# --- runtime ---
FROM ${BASE}
ENV NODE_ENV=production
WORKDIR /app
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# `rpsq` on PATH, as the Job contract's command ["rpsq", "train"] expects. `exec` makes Node the
# container's PID 1: every command handles SIGTERM itself.
RUN printf '#!/bin/sh\nexec node /app/dist/cli.js "$@"\n' > /usr/local/bin/rpsq \
  && chmod 0755 /usr/local/bin/rpsq \
  && rpsq train --help >/dev/null \
  && rpsq simulate --help >/dev/null \
  && ! find /app/dist -name '*.ts' | grep -q .
# The image's `node` user, by number so that Kubernetes can verify runAsNonRoot.
USER 1000:1000
EXPOSE 8080
ENTRYPOINT ["rpsq"]
CMD ["app"]
