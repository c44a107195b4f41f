#!/usr/bin/env bash
# A real one-node Kubernetes cluster on this machine, from parts the project builds or installs
# itself (no Docker, no registry), running the real manifests:
#   hack/cluster.sh up       make cluster: packages, binaries, images, control plane, containerd,
#                            kubelet, kube-proxy, CoreDNS, config/default and config/samples
#   hack/cluster.sh down     make cluster-down: stops everything and puts the host back as it was
#   hack/cluster.sh images   builds (or reuses) the images and prints their names
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

# ---------------------------------------------------------------------------------------------
# images: built with buildah (chroot isolation, no daemon), kept as OCI archives keyed by their
# inputs, imported into containerd's k8s.io namespace under the names the manifests use

# sha256 of the named files and directories (tracked and untracked, not ignored), the first 16 hex
inputs_key() {
  (
    cd "$repo"
    git ls-files -co --exclude-standard -- "$@" | sort | while read -r f; do
      [ -f "$f" ] && printf '%s %s\n' "$(sha256sum <"$f" | cut -c1-64)" "$f"
    done
    printf '%s\n' "$*"
  ) | sha256sum | cut -c1-16
}

# build_image <name> <archive> <buildah bud args…>: builds and exports one image unless cached
export_image() {
  local name="$1" archive="$2"
  buildah push -q "$name" "oci-archive:$archive.tmp:$name" >/dev/null
  mv "$archive.tmp" "$archive"
}

# Node 20 from Debian 13's packages (bookworm's is 18) with npm and a compiler for native modules;
# the image's user 1000 is `node`, as in the official image. Keyed by this function's own text.
build_base() {
  local key base archive start tmp
  key="$(declare -f build_base | sha256sum | cut -c1-16)"
  base="localhost/rps-quest/node20-base:$key"
  archive="$images/node20-base-$key.tar"
  if [ ! -f "$archive" ]; then
    say "building $base from Debian trixie's packages (minutes)" >&2
    start=$(date +%s)
    tmp="$(mktemp -d)"
    mmdebstrap --quiet --mode=root --variant=apt \
      --include=nodejs,npm,libnode-dev,ca-certificates,python3,make,g++ \
      --customize-hook='echo "node:x:1000:1000::/home/node:/bin/sh" >>"$1/etc/passwd"' \
      --customize-hook='echo "node:x:1000:" >>"$1/etc/group"' \
      --customize-hook='mkdir -p "$1/home/node" && chown 1000:1000 "$1/home/node"' \
      --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
      trixie "$tmp/rootfs.tar" http://deb.debian.org/debian >&2
    # native modules compile against Debian's Node headers (/usr/include/node)
    printf 'FROM scratch\nADD rootfs.tar /\nENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin npm_config_nodedir=/usr\nCMD ["node"]\n' >"$tmp/Dockerfile"
    buildah bud -q --isolation chroot -t "$base" "$tmp" >/dev/null
    rm -rf "$tmp"
    export_image "$base" "$archive"
    say "built the base in $(($(date +%s) - start)) s" >&2
  elif ! buildah inspect --type image "$base" >/dev/null 2>&1; then
    buildah pull -q "oci-archive:$archive" >/dev/null
  fi
  echo "$base"
}

# PostgreSQL from Debian bookworm's packages (the official image's release), run as the image's
# postgres user (uid 999, as in the official image) through hack/cluster/postgres-entrypoint.sh;
# it stops on SIGINT (fast shutdown) as the official image does. Keyed by this function's text and
# the entrypoint.
build_postgres() {
  local key archive start tmp
  key="$( (declare -f build_postgres && cat "$here/postgres-entrypoint.sh") | sha256sum | cut -c1-16)"
  archive="$images/postgres-$key.tar"
  if [ ! -f "$archive" ]; then
    say "building $postgres_image from Debian bookworm's packages (minutes)" >&2
    start=$(date +%s)
    tmp="$(mktemp -d)"
    # the user exists before the package's postinst, which keeps it; no cluster of Debian's own
    mmdebstrap --quiet --mode=root --variant=apt --include=postgresql \
      --essential-hook='echo "postgres:x:999:999:PostgreSQL administrator:/var/lib/postgresql:/bin/sh" >>"$1/etc/passwd"' \
      --essential-hook='echo "postgres:x:999:" >>"$1/etc/group"' \
      --customize-hook='rm -rf "$1"/var/lib/postgresql/*/main "$1"/etc/postgresql/*/main' \
      --customize-hook='ln -s "$(basename "$(ls -d "$1"/usr/lib/postgresql/[0-9]*)")/bin" "$1/usr/lib/postgresql/bin"' \
      --customize-hook='mkdir -p "$1/var/lib/postgresql/data" "$1/var/run/postgresql"' \
      --customize-hook='chown -R 999:999 "$1/var/lib/postgresql" "$1/var/run/postgresql"' \
      --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
      bookworm "$tmp/rootfs.tar" http://deb.debian.org/debian >&2
    cp "$here/postgres-entrypoint.sh" "$tmp/entrypoint.sh"
    chmod 755 "$tmp/entrypoint.sh"
    printf '%s\n' 'FROM scratch' 'ADD rootfs.tar /' 'COPY entrypoint.sh /usr/local/bin/docker-entrypoint.sh' \
      'ENV PATH=/usr/lib/postgresql/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin PGDATA=/var/lib/postgresql/data' \
      'USER 999:999' 'STOPSIGNAL SIGINT' 'EXPOSE 5432' 'ENTRYPOINT ["docker-entrypoint.sh"]' 'CMD ["postgres"]' >"$tmp/Dockerfile"
    buildah bud -q --isolation chroot -t "$postgres_image" "$tmp" >/dev/null
    rm -rf "$tmp"
    export_image "$postgres_image" "$archive"
    say "built $postgres_image in $(($(date +%s) - start)) s" >&2
  fi
  echo "$archive"
}

build_images() {
  mkdir -p "$images"
  local tmp key archive start
  tmp="$(mktemp -d)"
  # shellcheck disable=SC2064
  trap "rm -rf '$tmp'" RETURN

  # the pod sandbox: a static pause process (hack/cluster/pause.c)
  key="$(inputs_key hack/cluster/pause.c)"
  archive="$images/pause-$key.tar"
  if [ ! -f "$archive" ]; then
    say "building $pause_image"
    mkdir -p "$tmp/pause"
    gcc -static -Os -s -o "$tmp/pause/pause" "$here/pause.c"
    printf 'FROM scratch\nCOPY pause /pause\nUSER 65535:65535\nENTRYPOINT ["/pause"]\n' >"$tmp/pause/Dockerfile"
    buildah bud -q --isolation chroot -t "$pause_image" "$tmp/pause" >/dev/null
    export_image "$pause_image" "$archive"
  fi
  echo "$archive" >"$tmp/list"

  # MinIO and the MinIO client from the pinned Go modules, static; mc's Job needs a shell
  local minio_version mc_version
  minio_version="$(basename "$(readlink -f "$bin/minio")")"
  minio_version="${minio_version#minio-}"
  mc_version="$(basename "$(readlink -f "$bin/mc")")"
  mc_version="${mc_version#mc-}"
  archive="$images/minio-$minio_version.tar"
  if [ ! -f "$archive" ]; then
    say "building $minio_image ($minio_version)"
    mkdir -p "$tmp/minio"
    cp "$bin/minio" "$tmp/minio/minio"
    printf 'FROM scratch\nCOPY minio /usr/bin/minio\nUSER 1000:1000\nENTRYPOINT ["/usr/bin/minio"]\n' >"$tmp/minio/Dockerfile"
    buildah bud -q --isolation chroot -t "$minio_image" "$tmp/minio" >/dev/null
    export_image "$minio_image" "$archive"
  fi
  echo "$archive" >>"$tmp/list"
  archive="$images/mc-$mc_version.tar"
  if [ ! -f "$archive" ]; then
    say "building $mc_image ($mc_version)"
    mkdir -p "$tmp/mc/bin"
    cp "$bin/mc" "$tmp/mc/bin/mc"
    cp "$(command -v busybox)" "$tmp/mc/bin/busybox"
    for tool in sh echo sleep; do ln -s busybox "$tmp/mc/bin/$tool"; done
    printf 'FROM scratch\nCOPY bin /bin\nENV PATH=/bin\nUSER 1000:1000\nENTRYPOINT ["/bin/mc"]\n' >"$tmp/mc/Dockerfile"
    buildah bud -q --isolation chroot -t "$mc_image" "$tmp/mc" >/dev/null
    export_image "$mc_image" "$archive"
  fi
  echo "$archive" >>"$tmp/list"
  build_postgres >>"$tmp/list"

  local base
  base="$(build_base)"

  # the project's image, from its own Dockerfile on that base
  key="$(inputs_key Dockerfile .dockerignore package.json package-lock.json tsconfig.json tsconfig.build.json \
    cli.ts core lib app trainer operator 'hack/*.ts' hack/harness)-${base##*:}"
  archive="$images/rps-quest-$key.tar"
  if [ ! -f "$archive" ]; then
    say "building $app_image (minutes)"
    start=$(date +%s)
    local ca=()
    # a TLS-intercepting proxy's CA, as this machine trusts it, for npm inside the build
    if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ]; then
      ca=(-v "$NODE_EXTRA_CA_CERTS:/run/build-ca.crt:ro" --build-arg NODE_EXTRA_CA_CERTS=/run/build-ca.crt)
    fi
    buildah bud -q --isolation chroot --layers --build-arg "BASE=$base" "${ca[@]}" -t "$app_image" "$repo" >/dev/null
    export_image "$app_image" "$archive"
    say "built the image in $(($(date +%s) - start)) s"
  fi
  echo "$archive" >>"$tmp/list"
  # the newest archive of each image stays, older ones go
  for prefix in pause rps-quest node20-base postgres; do
    { ls -t "$images/$prefix"-*.tar 2>/dev/null | tail -n +2 | grep -v -x -F -f "$tmp/list" || true; } | xargs -r rm -f
  done
  cp "$tmp/list" "$images/current"
}

import_images() {
  local archive
  touch "$ctrd_root/imported"
  while read -r archive; do
    # an archive's name changes with its content: imported once, it is in the store
    grep -qxF "$archive" "$ctrd_root/imported" && continue
    ctr_cmd images import --all-platforms "$archive" >/dev/null
    echo "$archive" >>"$ctrd_root/imported"
  done <"$images/current"
  local present
  present="$(ctr_cmd images ls -q)"
  for name in "$app_image" "$minio_image" "$mc_image" "$pause_image" "$postgres_image"; do
    if ! grep -qx "$name" <<<"$present"; then
      rm -f "$ctrd_root/imported"
      die "image $name missing in containerd after the import (the next make cluster imports every image again)"
    fi
  done
  # images no longer current go, with their layers
  ctr_cmd images ls -q | grep -vx -F -f <(printf '%s\n' "$app_image" "$minio_image" "$mc_image" "$pause_image" "$postgres_image") |
    grep -v '^sha256:' | xargs -r ctr --address "$sock" -n k8s.io images rm >/dev/null 2>&1 || true
  cp "$images/current" "$ctrd_root/imported"
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

# ---------------------------------------------------------------------------------------------

record_host() {
  # once per boot: what down must restore
  [ -f "$run/host/recorded" ] && return 0
  mkdir -p "$run/host"
  : >"$run/host/sysctls"
  for key in "${sysctls[@]}"; do
    value="$(sysctl -n "$key" 2>/dev/null)" && printf '%s=%s\n' "$key" "$value" >>"$run/host/sysctls"
  done
  : >"$run/host/paths"
  for p in "${foreign_paths[@]}"; do [ -e "$p" ] && echo "$p" >>"$run/host/paths"; done
  iptables-save >"$run/host/iptables" 2>/dev/null || true
  ip6tables-save >"$run/host/ip6tables" 2>/dev/null || true
  find /sys/fs/cgroup -maxdepth 2 -name kubepods -type d >"$run/host/cgroups" 2>/dev/null || true
  touch "$run/host/recorded"
}

pki() {
  local dir="$state/pki" ip="$1"
  [ -f "$dir/ca.crt" ] && return 0
  mkdir -p "$dir"
  (
    cd "$dir"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 -subj "/CN=rps-quest-ca" 2>/dev/null
    cat >apiserver.ext <<EOF
subjectAltName=DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost,IP:$kubernetes_ip,IP:$ip,IP:127.0.0.1
extendedKeyUsage=serverAuth
EOF
    openssl req -newkey rsa:2048 -nodes -keyout apiserver.key -out apiserver.csr -subj "/CN=kube-apiserver" 2>/dev/null
    openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -extfile apiserver.ext -out apiserver.crt 2>/dev/null
    # the API server's client certificate towards the kubelet (logs, exec, port-forward)
    printf 'extendedKeyUsage=clientAuth\n' >client.ext
    openssl req -newkey rsa:2048 -nodes -keyout kubelet-client.key -out kubelet-client.csr \
      -subj "/O=system:masters/CN=kube-apiserver-kubelet-client" 2>/dev/null
    openssl x509 -req -in kubelet-client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -extfile client.ext \
      -out kubelet-client.crt 2>/dev/null
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    # one admin token for kubectl and the node's components (a throw-away local cluster)
    printf '%s,admin,admin-uid,"system:masters"\n' "$(openssl rand -hex 24)" >tokens.csv
    chmod 0600 ./*.key tokens.csv
  )
}

kubeconfig() {
  local server="$1" file="$2" token
  token="$(cut -d, -f1 "$state/pki/tokens.csv")"
  cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: rps-quest-cluster
  cluster:
    server: $server
    certificate-authority-data: $(base64 -w0 <"$state/pki/ca.crt")
users:
- name: admin
  user:
    token: $token
contexts:
- name: rps-quest-cluster
  context:
    cluster: rps-quest-cluster
    user: admin
    namespace: $namespace
current-context: rps-quest-cluster
EOF
  chmod 0600 "$file"
}

control_plane() {
  local ip="$1" server="https://$1:$api_port"
  start etcd "$bin/etcd" --name=default --data-dir="$state/etcd" \
    --listen-client-urls="http://127.0.0.1:$etcd_port" --advertise-client-urls="http://127.0.0.1:$etcd_port" \
    --listen-peer-urls="http://127.0.0.1:$etcd_peer_port" --initial-advertise-peer-urls="http://127.0.0.1:$etcd_peer_port" \
    --initial-cluster="default=http://127.0.0.1:$etcd_peer_port" --log-level=warn
  wait_up etcd 60 curl -sf "http://127.0.0.1:$etcd_port/health"
  # advertised on the node's own address, or pods cannot reach the kubernetes Service
  start kube-apiserver "$bin/kube-apiserver" --etcd-servers="http://127.0.0.1:$etcd_port" \
    --bind-address=0.0.0.0 --advertise-address="$ip" --secure-port="$api_port" \
    --tls-cert-file="$state/pki/apiserver.crt" --tls-private-key-file="$state/pki/apiserver.key" \
    --client-ca-file="$state/pki/ca.crt" --token-auth-file="$state/pki/tokens.csv" \
    --kubelet-client-certificate="$state/pki/kubelet-client.crt" --kubelet-client-key="$state/pki/kubelet-client.key" \
    --kubelet-preferred-address-types=InternalIP,Hostname \
    --authorization-mode=Node,RBAC --service-account-key-file="$state/pki/sa.pub" \
    --service-account-signing-key-file="$state/pki/sa.key" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-cluster-ip-range="$service_cidr" --allow-privileged=true --profiling=false --v=1
  wait_up kube-apiserver 120 curl -sf --cacert "$state/pki/ca.crt" "$server/readyz"
  kubeconfig "$server" "$out/kubeconfig"
  start kube-controller-manager "$bin/kube-controller-manager" --kubeconfig="$out/kubeconfig" \
    --service-account-private-key-file="$state/pki/sa.key" --root-ca-file="$state/pki/ca.crt" \
    --use-service-account-credentials=true --leader-elect=false --bind-address=127.0.0.1 \
    --cluster-signing-cert-file="$state/pki/ca.crt" --cluster-signing-key-file="$state/pki/ca.key" \
    --cert-dir="$state/pki/kcm" --profiling=false --v=1
  start kube-scheduler "$bin/kube-scheduler" --kubeconfig="$out/kubeconfig" --leader-elect=false \
    --bind-address=127.0.0.1 --profiling=false --v=1
  wait_up kube-controller-manager 120 k get serviceaccount default -n kube-system
}

containerd_up() {
  mkdir -p "$state/containerd" "$run/containerd" "$state/cni/net.d" "$run/cni" "$ctrd_root"
  cat >"$state/containerd/config.toml" <<EOF
version = 2
root = "$ctrd_root"
state = "$run/containerd"
[grpc]
  address = "$sock"
[ttrpc]
  address = "$sock.ttrpc"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$pause_image"
  # root here lacks CAP_SYS_RESOURCE: runc could not set a sandbox's oom_score_adj below ours
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$state/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$run/runc"
EOF
  cat >"$state/cni/net.d/10-rps-quest.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "rps-quest",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$bridge",
      "isGateway": true,
      "ipMasq": true,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$run/cni/ipam",
        "ranges": [[{ "subnet": "$pod_cidr" }]],
        "routes": [{ "dst": "0.0.0.0/0" }]
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF
  start containerd containerd --config "$state/containerd/config.toml"
  wait_up containerd 30 ctr_cmd version
}

kubelet_up() {
  local ip="$1" dir="$state/kubelet"
  mkdir -p "$dir" "$state/kubelet-plugins" "$state/pod-logs"
  kubeconfig "https://$ip:$api_port" "$dir/kubeconfig"
  cat >"$dir/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
containerRuntimeEndpoint: unix://$sock
podLogsDir: $state/pod-logs
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: true }
  x509: { clientCAFile: $state/pki/ca.crt }
authorization:
  mode: Webhook
clusterDomain: cluster.local
clusterDNS: [$dns_ip]
resolvConf: /etc/resolv.conf
healthzBindAddress: 127.0.0.1
healthzPort: 10248
readOnlyPort: 0
# a development machine's disk: never evict or collect the imported images for space
evictionHard: { memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1% }
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
# pods see a changed ConfigMap (the serving manifest) within seconds, not a minute
syncFrequency: 10s
EOF
  start kubelet "$bin/kubelet" --config="$dir/config.yaml" --kubeconfig="$dir/kubeconfig" \
    --root-dir="$dir" --cert-dir="$dir/pki" --volume-plugin-dir="$state/kubelet-plugins" \
    --hostname-override="$node_name" --node-ip="$ip" --v=1
  wait_up kubelet 60 curl -sf http://127.0.0.1:10248/healthz
}

proxy_up() {
  local ip="$1"
  cat >"$state/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clientConnection: { kubeconfig: $out/kubeconfig }
hostnameOverride: $node_name
clusterCIDR: $pod_cidr
bindAddress: $ip
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
# leave the host's conntrack settings alone
conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s }
EOF
  start kube-proxy "$bin/kube-proxy" --config="$state/kube-proxy.yaml" --v=1
  wait_up kube-proxy 30 curl -sf http://127.0.0.1:10256/healthz
}

dns_up() {
  local ip="$1" upstream
  upstream="$(awk '$1 == "nameserver" { printf "%s ", $2 }' /etc/resolv.conf)"
  [ -n "$upstream" ] || upstream="8.8.8.8"
  cat >"$state/Corefile" <<EOF
.:53 {
    bind $ip
    errors
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig $out/kubeconfig
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
    forward . $upstream
    cache 30
    loop
}
EOF
  start coredns "$bin/coredns" -conf "$state/Corefile"
  # the cluster DNS Service: no selector, one EndpointSlice pointing at CoreDNS on the host
  k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Service
metadata:
  name: kube-dns
  namespace: kube-system
  labels: { k8s-app: kube-dns }
spec:
  clusterIP: $dns_ip
  ports:
    - { name: dns, port: 53, protocol: UDP }
    - { name: dns-tcp, port: 53, protocol: TCP }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: kube-dns-host
  namespace: kube-system
  labels:
    kubernetes.io/service-name: kube-dns
    endpointslice.kubernetes.io/managed-by: rps-quest-cluster
addressType: IPv4
endpoints:
  - addresses: [$ip]
ports:
  - { name: dns, port: 53, protocol: UDP }
  - { name: dns-tcp, port: 53, protocol: TCP }
EOF
  wait_up coredns 30 grep -q "CoreDNS-" "$logs/coredns.log"
}

volumes() {
  # the ReadWriteOnce claims of config/default (game server, MinIO: the pods' user 1000) and of
  # config/postgres (config/scale: the image's postgres user 999), as hostPath volumes bound to them
  local name claim size owner
  for entry in "game-data|rps-quest-game-data|1Gi|1000" "minio-data|data-rps-quest-minio-0|5Gi|1000" \
    "postgres-data|data-rps-quest-postgres-0|10Gi|999"; do
    IFS='|' read -r name claim size owner <<<"$entry"
    mkdir -p "$state/volumes/$name"
    chown "$owner:$owner" "$state/volumes/$name"
    k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: PersistentVolume
metadata:
  name: rps-quest-$name
  labels: { app.kubernetes.io/part-of: rps-quest }
spec:
  capacity: { storage: $size }
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: ""
  claimRef: { namespace: $namespace, name: $claim }
  hostPath: { path: $state/volumes/$name, type: Directory }
EOF
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
      build_images
    cat "$images/current"
    ;;
  status) status ;;
  *)
    echo "usage: hack/cluster.sh up | down | images | status" >&2
    exit 2
    ;;
esac
