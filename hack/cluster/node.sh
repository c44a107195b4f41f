# Sourced by hack/cluster.sh (its settings and helpers in scope): the node, part by part.
# shellcheck shell=bash

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
