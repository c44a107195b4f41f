#!/usr/bin/env bash
# A real one-node Kubernetes cluster on this machine, from parts the project builds or installs
# itself (no Docker, no registry), running the real manifests:
#   hack/cluster.sh up       make cluster: packages, binaries, images, control plane, containerd,
#                            kubelet, kube-proxy, CoreDNS, config/default and config/samples
#   hack/cluster.sh down     make cluster-down: stops everything and puts the host back as it was
#   hack/cluster.sh images   builds (or reuses) the images and prints their archives
#   hack/cluster.sh status   what runs
# Linux, as root. State in /var/lib/rps-quest-cluster and /run/rps-quest-cluster (both removed by
# down), logs and the kubeconfig in .cluster/ of the repository, images cached in
# ~/.cache/rps-quest/images (reused while their inputs do not change).
set -Eeuo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
here="$repo/hack/cluster"
state=/var/lib/rps-quest-cluster
run=/run/rps-quest-cluster
out="$repo/.cluster"
logs="$out/logs"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/rps-quest"
bin="${RPS_BIN_DIR:-$cache/bin}"
images="$cache/images"
# containerd's image store survives make cluster-down, so that an unchanged image is not imported
# (unpacked) again; the containers and sandboxes in it do not
ctrd_root="$cache/containerd"
sock="$run/containerd/containerd.sock"
bridge=rpsq0
pod_cidr=10.244.0.0/24
service_cidr=10.96.0.0/16
kubernetes_ip=10.96.0.1
dns_ip=10.96.0.10
api_port=6443
etcd_port=23790
etcd_peer_port=23791
game_node_port=30080
node_name=rps-quest-node
namespace=rps-quest
# the images the manifests name (a short name like rps-quest:dev is docker.io/library/rps-quest:dev)
app_image=docker.io/library/rps-quest:dev
minio_image=localhost/rps-quest/minio:local
mc_image=localhost/rps-quest/mc:local
pause_image=localhost/rps-quest/pause:local
# config/postgres names the official image; the node's overlays map it to this one (build_postgres)
postgres_image=localhost/rps-quest/postgres:local
# what the kubelet, kube-proxy and the bridge plugin change, put back by down
sysctls=(
  net.ipv4.ip_forward
  net.ipv6.conf.all.forwarding
  net.ipv4.conf.all.route_localnet
  net.bridge.bridge-nf-call-iptables
  net.bridge.bridge-nf-call-ip6tables
  kernel.panic
  kernel.panic_on_oops
  vm.overcommit_memory
  vm.panic_on_oom
  kernel.keys.root_maxkeys
  kernel.keys.root_maxbytes
)
# host paths something here may create outside its own directories (the kubelet, the CNI plugins,
# buildah): removed by down unless they existed before the first up
foreign_paths=(
  /var/lib/kubelet
  /var/lib/kubelet/device-plugins
  /var/lib/cni
  /var/log/containers
  /var/log/pods
  /run/containerd
  /etc/cni
  /opt/cni
  /run/netns
  /run/containers/networks
)
# stop order is the reverse
components=(etcd kube-apiserver kube-controller-manager kube-scheduler containerd kubelet kube-proxy coredns)

say() { printf 'cluster: %s\n' "$*"; }
die() {
  printf 'cluster: %s\n' "$*" >&2
  exit 1
}
k() { "$bin/kubectl" --kubeconfig "$out/kubeconfig" "$@"; }
ms() { date +%s%3N; }
# one line per start-up phase with the seconds since `up` began
t0=0
phase() { printf 'cluster: [%5.1f s] %s\n' "$(awk -v a="$(ms)" -v b="$t0" 'BEGIN { print (a - b) / 1000 }')" "$*"; }

node_ip() {
  ip -4 route get 1.1.1.1 2>/dev/null | awk '{ for (i = 1; i < NF; i++) if ($i == "src") { print $(i + 1); exit } }'
}

preflight() {
  [ "$(uname -s)" = Linux ] || die "needs Linux (this is $(uname -s)); on other hosts use the kind targets (docs/deploy.md)"
  [ "$(id -u)" -eq 0 ] || die "needs root (containerd, the kubelet and iptables); run it as root or with sudo"
  [ -d /sys/fs/cgroup ] || die "no cgroup file system at /sys/fs/cgroup"
  [ -n "$(node_ip)" ] || die "no IPv4 default route: the node needs an address that pods can reach"
}

packages() {
  local need=() cmd pkg
  for pair in containerd:containerd runc:runc iptables:iptables conntrack:conntrack buildah:buildah \
    mmdebstrap:mmdebstrap busybox:busybox-static gcc:gcc openssl:openssl ip:iproute2 curl:curl; do
    cmd="${pair%%:*}"
    pkg="${pair#*:}"
    command -v "$cmd" >/dev/null 2>&1 || need+=("$pkg")
  done
  [ -x /usr/lib/cni/bridge ] || need+=(containernetworking-plugins)
  [ -e /usr/lib/x86_64-linux-gnu/libc.a ] || [ -e /usr/lib/aarch64-linux-gnu/libc.a ] || need+=(libc6-dev)
  if [ ${#need[@]} -gt 0 ]; then
    say "installing Debian packages: ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
}

# images (hack/cluster/images.sh) and the node, part by part (hack/cluster/node.sh)
# shellcheck source=hack/cluster/images.sh
source "$here/images.sh"
# shellcheck source=hack/cluster/node.sh
source "$here/node.sh"

# images_only: the images outside `up`; what buildah adds to the host (/etc/cni, for one) goes
# again, unless a running cluster recorded the host (its down removes it then)
images_only() {
  local before p
  before="$(for p in "${foreign_paths[@]}"; do [ -e "$p" ] && echo "$p"; done; true)"
  build_images
  [ -f "$run/host/recorded" ] && return 0
  for p in "${foreign_paths[@]}"; do
    [ -e "$p" ] && ! grep -qxF "$p" <<<"$before" && rm -rf "$p"
  done
  return 0
}

# ---------------------------------------------------------------------------------------------
# processes: each started with setsid (detached from the terminal), its pid in $run/pids, its output in .cluster/logs

start() {
  local name="$1"
  shift
  mkdir -p "$run/pids" "$logs"
  setsid "$@" >>"$logs/$name.log" 2>&1 </dev/null &
  echo $! >"$run/pids/$name"
}

alive() { [ -f "$run/pids/$1" ] && kill -0 "$(cat "$run/pids/$1")" 2>/dev/null; }

# wait_for <what> <seconds> <command…>
wait_for() {
  local what="$1" timeout="$2" deadline
  shift 2
  deadline=$(($(date +%s) + timeout))
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      printf 'cluster: %s: not ready after %s s\n' "$what" "$timeout" >&2
      return 1
    fi
    sleep 0.2
  done
}

# wait_up <component> <seconds> <command…>: also fails, with its log, if the process dies
wait_up() {
  local name="$1" timeout="$2" deadline
  shift 2
  deadline=$(($(date +%s) + timeout))
  until "$@" >/dev/null 2>&1; do
    if ! alive "$name"; then
      printf 'cluster: %s exited; last lines of %s:\n' "$name" "$logs/$name.log" >&2
      tail -n 25 "$logs/$name.log" >&2
      return 1
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      printf 'cluster: %s not ready after %s s; see %s\n' "$name" "$timeout" "$logs/$name.log" >&2
      return 1
    fi
    sleep 0.2
  done
}

up() {
  local ip
  t0=$(ms)
  preflight
  if alive kube-apiserver; then
    say "already running (make cluster-down stops it)"
    status
    return 0
  fi
  ip="$(node_ip)"
  # before anything changes the host (buildah creates /etc/cni, for one)
  record_host
  packages
  bash "$repo/hack/bins.sh" cluster
  local t_images
  t_images=$(ms)
  build_images
  t_images=$(($(ms) - t_images))
  mkdir -p "$state" "$run" "$out" "$logs"
  rm -f "$out/cluster.json"
  # any failure from here on (a command, a timeout, die) stops what started
  trap 'code=$?; if [ "$code" -ne 0 ]; then say "start-up failed: stopping what started (logs in $logs)"; down >/dev/null 2>&1 || true; fi' EXIT
  sysctl -qw net.ipv4.ip_forward=1
  phase "binaries and images ready"
  pki "$ip"
  control_plane "$ip"
  phase "control plane up"
  containerd_up
  import_images
  phase "containerd up, images imported"
  kubelet_up "$ip"
  proxy_up "$ip"
  dns_up "$ip"
  wait_for "node $node_name Ready" 120 k wait --for=condition=Ready "node/$node_name" --timeout=2s
  phase "node Ready"
  volumes
  # CRDs first (server-side: their schemas are large), then the system, then the bots
  k apply --server-side -k "$repo/config/crd" >/dev/null
  # a CRD created a moment ago may have no status yet, which `kubectl wait` fails on: retried
  wait_for "the CRDs Established" 60 k wait --for=condition=Established crd/rpsmodels.rpsquest.dev \
    crd/promotionpolicies.rpsquest.dev --timeout=5s
  k apply --server-side -k "$here/overlay" >/dev/null
  k apply --server-side -n "$namespace" -k "$repo/config/samples" >/dev/null
  phase "config/default and config/samples applied; waiting for the three bots to serve a trained version"
  local waited=0
  until k wait --for=condition=Ready rpsm --all -n "$namespace" --timeout=5s >/dev/null 2>&1; do
    waited=$((waited + 5))
    if [ "$waited" -ge 600 ]; then
      k get pods,jobs,rpsm -n "$namespace" >&2 || true
      die "the bots do not serve after 600 s; logs in $logs, kubectl get events -n $namespace"
    fi
  done
  wait_for "the game through its Service" 60 curl -sf "http://$ip:$game_node_port/readyz"
  trap - EXIT
  phase "the bots serve"
  local total=$(($(ms) - t0))
  # what the cluster tests and bench/cluster.ts read
  printf '{"gameUrl":"http://%s:%s","dashboardUrl":"http://%s:%s/dashboard","kubeconfig":"%s","readyMs":%d,"imagesMs":%d}\n' \
    "$ip" "$game_node_port" "$ip" "$game_node_port" "$out/kubeconfig" "$total" "$t_images" >"$out/cluster.json"
  cat <<EOF

Ready in $((total / 1000)) s (images $((t_images / 1000)) s).
Play:        http://$ip:$game_node_port   (also http://127.0.0.1:$game_node_port)
Dashboard:   http://$ip:$game_node_port/dashboard
Kubernetes:  export KUBECONFIG=$out/kubeconfig
Try:
  kubectl get pods,rpsm -n $namespace
  kubectl annotate rpsm logan -n $namespace rpsquest.dev/train-now="\$(date +%s)" --overwrite
Stop:        make cluster-down   (logs in $logs)
EOF
}

ctr_cmd() { ctr --address "$sock" -n k8s.io "$@"; }

status() {
  for c in "${components[@]}"; do
    if alive "$c"; then printf '  %-24s pid %s\n' "$c" "$(cat "$run/pids/$c")"; else printf '  %-24s -\n' "$c"; fi
  done
  [ -f "$out/kubeconfig" ] && printf '  export KUBECONFIG=%s\n' "$out/kubeconfig"
  return 0
}

# stop_processes <name…>: SIGTERM to all of them at once, SIGKILL to any left after 10 s
stop_processes() {
  local name pid pids=()
  for name in "$@"; do
    [ -f "$run/pids/$name" ] || continue
    pid="$(cat "$run/pids/$name")"
    kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
    rm -f "$run/pids/$name"
  done
  for _ in $(seq 1 50); do
    local left=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && left=1; done
    [ "$left" -eq 0 ] && return 0
    sleep 0.2
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
}

# removes the rules and chains added since record_host from one table of iptables or ip6tables
restore_table() {
  local save="$1" table="$2" before="$3" tool="${1%-save}" line chain
  local old now
  old="$(sed -n "/^\*$table\$/,/^COMMIT\$/p" "$before")"
  now="$("$save" -t "$table" 2>/dev/null || true)"
  local -a new_chains=()
  while read -r chain; do
    [ -n "$chain" ] || continue
    case "$chain" in INPUT | FORWARD | OUTPUT | PREROUTING | POSTROUTING) continue ;; esac
    grep -q "^:$chain " <<<"$old" || new_chains+=("$chain")
  done < <(awk '/^:/ { print substr($1, 2) }' <<<"$now")
  # rules that were not there before, in chains that were: delete them
  while read -r line; do
    [ -n "$line" ] || continue
    chain="$(awk '{ print $2 }' <<<"$line")"
    printf '%s\n' "${new_chains[@]}" | grep -qx -- "$chain" && continue
    grep -qxF -- "$line" <<<"$old" && continue
    eval "$tool -t $table -D ${line#-A }" 2>/dev/null || true
  done < <(grep '^-A ' <<<"$now" || true)
  for chain in "${new_chains[@]}"; do "$tool" -t "$table" -F "$chain" 2>/dev/null || true; done
  for chain in "${new_chains[@]}"; do "$tool" -t "$table" -X "$chain" 2>/dev/null || true; done
}

down() {
  preflight
  say "stopping"
  # the node first: nothing restarts containers while they are removed
  stop_processes coredns kube-proxy kubelet
  if alive containerd; then
    local task
    for task in $(ctr_cmd tasks ls -q 2>/dev/null); do ctr_cmd tasks kill -s SIGKILL "$task" >/dev/null 2>&1 || true; done
    sleep 1
    for task in $(ctr_cmd tasks ls -q 2>/dev/null); do ctr_cmd tasks delete -f "$task" >/dev/null 2>&1 || true; done
    # the store keeps images only: the pods' containers and their snapshots go
    for c in $(ctr_cmd containers ls -q 2>/dev/null); do ctr_cmd containers delete "$c" >/dev/null 2>&1 || true; done
  fi
  stop_processes containerd kube-scheduler kube-controller-manager
  stop_processes kube-apiserver
  stop_processes etcd
  # shims left behind by a crash, by the pid files containerd keeps for them
  for pidfile in "$run"/containerd/io.containerd.runtime.v2.task/*/*/shim.pid; do
    [ -f "$pidfile" ] && kill -KILL "$(cat "$pidfile")" 2>/dev/null || true
  done
  [ -x "$bin/kube-proxy" ] && "$bin/kube-proxy" --cleanup >/dev/null 2>&1 || true
  # the pods' network namespaces, then mounts under our directories (deepest first)
  for ns in /run/netns/cni-*; do
    [ -e "$ns" ] || continue
    umount "$ns" 2>/dev/null || true
    rm -f "$ns"
  done
  awk -v s="$state" -v r="$run" -v c="$ctrd_root" '$2 ~ "^" s || $2 ~ "^" r || $2 ~ "^" c { print $2 }' /proc/mounts |
    sort -r | while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
  ip link show "$bridge" >/dev/null 2>&1 && ip link delete "$bridge"
  if [ -f "$run/host/recorded" ]; then
    for t in filter nat mangle raw; do restore_table iptables-save "$t" "$run/host/iptables"; done
    for t in filter nat mangle raw; do restore_table ip6tables-save "$t" "$run/host/ip6tables"; done
    while IFS='=' read -r key value; do
      [ "$(sysctl -n "$key" 2>/dev/null)" = "$value" ] || sysctl -qw "$key=$value" || true
    done <"$run/host/sysctls"
    # the kubelet's cgroups (cgroupfs driver), deepest first, if they were not there before
    find /sys/fs/cgroup -depth -mindepth 2 -type d -path '*/kubepods*' 2>/dev/null | while read -r cg; do
      grep -qxF "${cg%%/kubepods*}/kubepods" "$run/host/cgroups" && continue
      rmdir "$cg" 2>/dev/null || true
    done
    for p in "${foreign_paths[@]}"; do
      [ -e "$p" ] || continue
      grep -qxF "$p" "$run/host/paths" && continue
      rm -rf "$p"
    done
  fi
  rm -rf "$state" "$run" "$ctrd_root/io.containerd.grpc.v1.cri/sandboxes" "$ctrd_root/io.containerd.grpc.v1.cri/containers"
  say "stopped; the host is as it was (images stay cached in $images and $ctrd_root)"
}

# sourced (to call one step by hand): define the functions only
[ "${BASH_SOURCE[0]}" = "$0" ] || return 0

case "${1:-}" in
  up) up ;;
  down) down ;;
  images)
    preflight
    packages
    bash "$repo/hack/bins.sh" cluster >/dev/null
    images_only
    cat "$images/current"
    ;;
  status) status ;;
  *)
    echo "usage: hack/cluster.sh up | down | images | status" >&2
    exit 2
    ;;
esac
