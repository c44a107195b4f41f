#!/usr/bin/env bash
# Builds the local control-plane binaries (kube-apiserver, kube-controller-manager, etcd, MinIO)
# from the pinned wrapper modules under hack/, into a version-keyed cache outside the work tree.
# A binary that is already cached is reused; only missing ones are built.
#   hack/bins.sh            what `make dev` and the tests need
#   hack/bins.sh cluster    those and the node's: kubelet, kube-scheduler, kube-proxy, CoreDNS and the
#                           MinIO client (`make cluster`)
#   hack/bins.sh gitops     those and Argo CD (one multi-call binary, linked as argocd, argocd-server,
#                           argocd-repo-server, argocd-application-controller) and the kustomize it
#                           runs (`make test`, `make dev GITOPS=1`)
#   hack/bins.sh <name>     one binary
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${RPS_BIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rps-quest/bin}"
mkdir -p "$cache"

# name | wrapper module dir | package | version (the cache key)
# the version that a wrapper go.mod pins for a module
pinned() { awk -v m="$2" '{ for (i = 1; i < NF; i++) if ($i == m) { print $(i + 1); exit } }' "$here/$1/go.mod"; }

bins=(
  "etcd|etcd|go.etcd.io/etcd/server/v3|$(pinned etcd go.etcd.io/etcd/server/v3)"
  "minio|minio|github.com/minio/minio|$(pinned minio github.com/minio/minio)"
  "kube-apiserver|kube|k8s.io/kubernetes/cmd/kube-apiserver|$(pinned kube k8s.io/kubernetes)"
  "kube-controller-manager|kube|k8s.io/kubernetes/cmd/kube-controller-manager|$(pinned kube k8s.io/kubernetes)"
  "kubectl|kube|k8s.io/kubernetes/cmd/kubectl|$(pinned kube k8s.io/kubernetes)"
)
# a real node (`make cluster`): the same pinned Kubernetes, and CoreDNS from its own wrapper module
node_bins=(
  "kubelet|kube|k8s.io/kubernetes/cmd/kubelet|$(pinned kube k8s.io/kubernetes)"
  "kube-scheduler|kube|k8s.io/kubernetes/cmd/kube-scheduler|$(pinned kube k8s.io/kubernetes)"
  "kube-proxy|kube|k8s.io/kubernetes/cmd/kube-proxy|$(pinned kube k8s.io/kubernetes)"
  # the release with only the plugins the node uses (hack/coredns/main.go), hence its own key
  "coredns|coredns|rpsquest.dev/hack/coredns|$(pinned coredns github.com/coredns/coredns)-node-plugins"
  "mc|mc|github.com/minio/mc|$(pinned mc github.com/minio/mc)"
)
# Argo CD and the kustomize it runs from PATH (the version Argo CD v3.2 pins)
gitops_bins=(
  "argocd|argocd|github.com/argoproj/argo-cd/v3/cmd|$(pinned argocd github.com/argoproj/argo-cd/v3)"
  "kustomize|kustomize|sigs.k8s.io/kustomize/kustomize/v5|$(pinned kustomize sigs.k8s.io/kustomize/kustomize/v5)"
)
# the names the Argo CD binary answers to (it picks the component by the name it runs under)
argocd_names=(argocd-server argocd-repo-server argocd-application-controller)

only="${1:-}"
if [ "$only" = cluster ]; then
  bins+=("${node_bins[@]}")
  only=""
elif [ "$only" = gitops ]; then
  bins+=("${gitops_bins[@]}")
  only=""
elif [ -n "$only" ]; then
  for entry in "${node_bins[@]}" "${gitops_bins[@]}"; do [ "${entry%%|*}" = "$only" ] && bins+=("$entry"); done
  known=no
  for entry in "${bins[@]}"; do [ "${entry%%|*}" = "$only" ] && known=yes; done
  if [ "$known" = no ]; then
    echo "bins: unknown binary \"$only\"; known: cluster gitops$(for e in "${bins[@]}" "${node_bins[@]}" "${gitops_bins[@]}"; do printf ' %s' "${e%%|*}"; done)" >&2
    exit 2
  fi
fi
for entry in "${bins[@]}"; do
  IFS='|' read -r name dir pkg version <<<"$entry"
  [ -n "$only" ] && [ "$only" != "$name" ] && continue
  out="$cache/$name-$version"
  if [ -x "$out" ]; then
    echo "bins: $name $version cached at $out"
    continue
  fi
  echo "bins: building $name $version (this takes minutes on a cold cache)..."
  start=$(date +%s)
  ldflags='-s -w'
  if [ "$dir" = kube ]; then
    # stamp the release into the binaries so --version and the API's /version tell the truth
    minor="${version#v1.}"; minor="${minor%%.*}"
    for v in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ldflags="$ldflags -X $v.gitVersion=$version -X $v.gitMajor=1 -X $v.gitMinor=$minor -X $v.gitTreeState=clean"
    done
  fi
  # Argo CD's --version and the API's version answer from these
  [ "$dir" = argocd ] && ldflags="$ldflags -X github.com/argoproj/argo-cd/v3/common.version=${version#v}"
  (cd "$here/$dir" && CGO_ENABLED=0 GOFLAGS=-mod=mod nice go build -trimpath -ldflags="$ldflags" -o "$out.tmp" "$pkg")
  mv "$out.tmp" "$out"
  echo "bins: built $name in $(( $(date +%s) - start ))s"
done

for entry in "${bins[@]}"; do
  IFS='|' read -r name dir pkg version <<<"$entry"
  [ -n "$only" ] && [ "$only" != "$name" ] && continue
  out="$cache/$name-$version"
  check=(--version)
  [ "$name" = kubectl ] && check=(version --client)
  [ "$name" = coredns ] && check=(-version)
  [ "$name" = mc ] && check=(--version)
  [ "$name" = argocd ] && check=(version --client --short)
  [ "$name" = kustomize ] && check=(version)
  "$out" "${check[@]}" >/dev/null 2>&1 || { echo "bins: $out ${check[*]} failed" >&2; exit 1; }
  ln -sf "$out" "$cache/$name"
  if [ "$name" = argocd ]; then
    for link in "${argocd_names[@]}"; do ln -sf "$out" "$cache/$link"; done
    # what a host install needs from the release besides the binary: the CRDs of Application,
    # ApplicationSet (argocd-server watches them) and AppProject, and the default argocd-cm and
    # argocd-rbac-cm (the harness merges config/argocd/argocd-cm-patch.yaml in)
    manifests="$out-manifests"
    if [ ! -d "$manifests" ]; then
      src="$(cd "$here/argocd" && GOFLAGS=-mod=mod go list -m -f '{{.Dir}}' github.com/argoproj/argo-cd/v3)/manifests"
      mkdir -p "$manifests.tmp"
      cp "$src/crds/application-crd.yaml" "$src/crds/applicationset-crd.yaml" "$src/crds/appproject-crd.yaml" \
        "$src/base/config/argocd-cm.yaml" \
        "$src/base/config/argocd-rbac-cm.yaml" "$manifests.tmp/"
      chmod -R u+w "$manifests.tmp"
      mv "$manifests.tmp" "$manifests"
    fi
    ln -sfn "$manifests" "$cache/argocd-manifests"
  fi
  echo "bins: $name ok ($("$out" "${check[@]}" 2>&1 | head -1))"
done
