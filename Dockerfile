# syntax=docker/dockerfile:1
# One image for the game server, the trainer and the operator: `rpsq app | train | operator`.
#   docker build -t rps-quest:dev .        (make image)

# --- dependencies: production packages only (tsx is one: the TypeScript runs as is) ---
FROM node:20-bookworm-slim AS deps
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
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# --- the operator compiled to JavaScript (tsconfig.build.json): ~90 MB less memory than through
# tsx (docs/performance.md). The game server and the trainer stay TypeScript through tsx: they load
# .ts workers and assets by path. No native module is built here: tsc needs none. ---
FROM node:20-bookworm-slim AS build
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
RUN npx tsc -p tsconfig.build.json

# --- runtime ---
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json cli.ts ./
COPY core ./core
COPY lib ./lib
COPY app ./app
COPY trainer ./trainer
COPY operator ./operator
COPY --from=build /app/dist ./dist
# `rpsq` on PATH, as the Job contract's command ["rpsq", "train"] expects: `rpsq operator` runs the
# compiled JavaScript, the other commands the TypeScript through tsx (imported by path so that it
# resolves whatever the container's working directory).
RUN printf '#!/bin/sh\nif [ "$1" = operator ]; then exec node /app/dist/cli.js "$@"; fi\nexec node --import file:///app/node_modules/tsx/dist/loader.mjs /app/cli.ts "$@"\n' \
    > /usr/local/bin/rpsq \
  && chmod 0755 /usr/local/bin/rpsq \
  && rpsq train --help >/dev/null && rm -rf /tmp/tsx-*
# The image's `node` user, by number so that Kubernetes can verify runAsNonRoot.
USER 1000:1000
EXPOSE 8080
ENTRYPOINT ["rpsq"]
CMD ["app"]
