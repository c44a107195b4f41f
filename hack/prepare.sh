#!/usr/bin/env bash
# Everything `make test` installs and builds before it tests, side by side:
#   - npm ci;
#   - the Go binaries of hack/bins.sh in two lanes of about the same work, the Kubernetes binaries
#     and the others: a `go build` links on one core and waits on module downloads, and the other
#     lane fills those gaps;
#   - as root on Linux, what the cluster tests add: the node's binaries (in the lanes) and the slow
#     images (hack/cluster.sh prebuild: Debian bootstraps and npm installs inside the builds).
# They compete for the cores, so each part takes longer than alone, but on a new 2-core machine
# the whole takes about 2.5 minutes less than one part after the other (docs/control-plane.md).
# All of it reuses its caches: with everything cached this takes npm ci's time and a few seconds.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bins="$repo/hack/bins.sh"

cluster=no
[ "$(uname -s)" = Linux ] && [ "$(id -u)" -eq 0 ] && cluster=yes
# about the same work in each lane when both start cold (docs/control-plane.md)
kube_lane=(kube-apiserver kube-controller-manager kubectl)
other_lane=(etcd minio argocd kustomize)
[ "$cluster" = yes ] && kube_lane+=(kubelet kube-scheduler kube-proxy coredns mc)

# each part in its own process group, stopped with everything it started if make test is
# interrupted or another part fails
pids=()
stop_all() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
}
trap stop_all EXIT
trap 'exit 143' INT TERM
# part <name> <command…>: started in the background; its pid and name go in pids and names
names=()
part() {
  local name="$1"
  shift
  setsid "$@" </dev/null &
  pids+=($!)
  names+=("$name")
}

if [ "$cluster" = yes ]; then
  mkdir -p "$repo/.cluster/logs"
  log="$repo/.cluster/logs/prebuild.log"
  echo "prepare: the cluster tests' images build alongside (log: $log)"
  part images bash -c 'exec bash "$1" prebuild >"$2" 2>&1' _ "$repo/hack/cluster.sh" "$log"
fi
# shellcheck disable=SC2016 # expanded by the lane's own shell
lane='for name in "${@:2}"; do bash "$1" "$name" | grep --line-buffered -v " cached at " || exit 1; done'
part "binaries (${kube_lane[*]})" bash -o pipefail -c "$lane" _ "$bins" "${kube_lane[@]}"
part "binaries (${other_lane[*]})" bash -o pipefail -c "$lane" _ "$bins" "${other_lane[@]}"

start=$(date +%s)
(cd "$repo" && npm ci)
echo "prepare: npm ci done in $(($(date +%s) - start)) s"

failed=()
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || failed+=("${names[$i]}")
done
pids=()
if [ "$cluster" = yes ]; then
  grep '^cluster:' "$log" || true
fi
if [ ${#failed[@]} -gt 0 ]; then
  [ "$cluster" = yes ] && tail -n 30 "$log" >&2
  echo "prepare: failed: ${failed[*]} (the output above says why)" >&2
  exit 1
fi
# every binary is cached now: this checks them and links their names (make dev GITOPS=1, the tests)
bash "$bins" gitops | grep -v " cached at "
[ "$cluster" = yes ] && bash "$bins" cluster | grep -v " cached at "
echo "prepare: done in $(($(date +%s) - start)) s"
