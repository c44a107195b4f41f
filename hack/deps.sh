#!/usr/bin/env bash
# Installs the Debian packages the tests need, when they are missing (redis: Argo CD's cache in the
# GitOps tests and `make dev GITOPS=1`).
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v go >/dev/null 2>&1 || need+=(golang-go)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
# the PostgreSQL server the store tests and `make dev DB=postgres` start (binaries in /usr/lib/postgresql/<version>/bin)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
if [ ${#need[@]} -eq 0 ]; then
  echo "deps: chromium, go, redis-server and postgresql present"
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "deps: installing ${need[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
