#!/usr/bin/env bash
# Builds the local control-plane binaries (kube-apiserver, kube-controller-manager, etcd, MinIO)
# from the pinned wrapper modules under hack/ (hack/bins: Kubernetes, etcd, Argo CD, CoreDNS; hack/minio,
# hack/mc, hack/kustomize), into a version-keyed cache outside the work tree.
# A binary that is already cached is reused; only missing ones are built.
#   hack/bins.sh            what `make dev` and the tests need
#   hack/bins.sh cluster    those and the node's: kubelet, kube-scheduler, kube-proxy, CoreDNS and the
#                           MinIO client (`make cluster`)
#   hack/bins.sh gitops     those and Argo CD (one multi-call binary, linked as argocd, argocd-server,
#                           argocd-repo-server, argocd-application-controller) and the kustomize it
#                           runs (`make dev GITOPS=1`)
#   hack/bins.sh all        every one of them (`make test`)
#   hack/bins.sh <name>     one binary
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${RPS_BIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rps-quest/bin}"
mkdir -p "$cache"

# the version that a wrapper go.mod pins for a module
pinned() { awk -v m="$2" '{ for (i = 1; i < NF; i++) if ($i == m) { print $(i + 1); exit } }' "$here/$1/go.mod"; }

# hack/bins is one module for Kubernetes, etcd, Argo CD and CoreDNS (their shared dependencies are
# compiled once); its binaries are keyed by the release and by the module's own files, since a
# change of any shared dependency changes every one of them
bins_key="$(cat "$here/bins/go.mod" "$here/bins/go.sum" "$here/bins/tools.go" "$here/bins/coredns/main.go" |
  sha256sum | cut -c1-8)"
kube="$(pinned bins k8s.io/kubernetes)"

# name | wrapper module dir | package | release | what else the cache key holds
bins=(
  "etcd|bins|go.etcd.io/etcd/server/v3|$(pinned bins go.etcd.io/etcd/server/v3)|-$bins_key"
  "minio|minio|github.com/minio/minio|$(pinned minio github.com/minio/minio)|"
  "kube-apiserver|bins|k8s.io/kubernetes/cmd/kube-apiserver|$kube|-$bins_key"
  "kube-controller-manager|bins|k8s.io/kubernetes/cmd/kube-controller-manager|$kube|-$bins_key"
  "kubectl|bins|k8s.io/kubernetes/cmd/kubectl|$kube|-$bins_key"
)
# a real node (`make cluster`): the same pinned Kubernetes, and CoreDNS
node_bins=(
  "kubelet|bins|k8s.io/kubernetes/cmd/kubelet|$kube|-$bins_key"
  "kube-scheduler|bins|k8s.io/kubernetes/cmd/kube-scheduler|$kube|-$bins_key"
  "kube-proxy|bins|k8s.io/kubernetes/cmd/kube-proxy|$kube|-$bins_key"
  # the release's coremain with only the plugins the node uses (hack/bins/coredns/main.go)
  "coredns|bins|rpsquest.dev/hack/bins/coredns|$(pinned bins github.com/coredns/coredns)|-$bins_key"
  "mc|mc|github.com/minio/mc|$(pinned mc github.com/minio/mc)|"
)
# Argo CD and the kustomize it runs from PATH (the version Argo CD v3.2 pins)
gitops_bins=(
  "argocd|bins|github.com/argoproj/argo-cd/v3/cmd|$(pinned bins github.com/argoproj/argo-cd/v3)|-$bins_key"
  "kustomize|kustomize|sigs.k8s.io/kustomize/kustomize/v5|$(pinned kustomize sigs.k8s.io/kustomize/kustomize/v5)|"
)
# the names the Argo CD binary answers to (it picks the component by the name it runs under)
argocd_names=(argocd-server argocd-repo-server argocd-application-controller)

only="${1:-}"
if [ "$only" = cluster ]; then
  bins+=("${node_bins[@]}")
  only=""
elif [ "$only" = all ]; then
  bins+=("${node_bins[@]}" "${gitops_bins[@]}")
  only=""
elif [ "$only" = gitops ]; then
  bins+=("${gitops_bins[@]}")
  only=""
elif [ -n "$only" ]; then
  for entry in "${node_bins[@]}" "${gitops_bins[@]}"; do [ "${entry%%|*}" = "$only" ] && bins+=("$entry"); done
  known=no
  for entry in "${bins[@]}"; do [ "${entry%%|*}" = "$only" ] && known=yes; done
  if [ "$known" = no ]; then
    echo "bins: unknown binary \"$only\"; known: cluster gitops all$(for e in "${bins[@]}" "${node_bins[@]}" "${gitops_bins[@]}"; do printf ' %s' "${e%%|*}"; done)" >&2
    exit 2
  fi
fi
# the binaries `go build` writes into a directory are named after the package's last element, or
# the one before it when that is a major version (go.etcd.io/etcd/server/v3 gives server)
built_name() {
  local base="${1##*/}" parent="${1%/*}"
  [[ "$base" =~ ^v[0-9]+$ ]] && base="${parent##*/}"
  echo "$base"
}

# go_build <dir> <output dir> <package…>: one `go build` for the packages of one module
go_build() {
  local dir="$1" outdir="$2" ldflags='-s -w' minor v
  shift 2
  if [ "$dir" = bins ]; then
    # stamp the release into Kubernetes' binaries so --version and the API's /version tell the
    # truth (client-go's, in the others, is their User-Agent); Argo CD's --version and its API's
    # version answer from common.version
    minor="${kube#v1.}"
    minor="${minor%%.*}"
    for v in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ldflags="$ldflags -X $v.gitVersion=$kube -X $v.gitMajor=1 -X $v.gitMinor=$minor -X $v.gitTreeState=clean"
    done
    ldflags="$ldflags -X github.com/argoproj/argo-cd/v3/common.version=$(pinned bins github.com/argoproj/argo-cd/v3 | sed 's/^v//')"
  fi
  (cd "$here/$dir" && CGO_ENABLED=0 GOFLAGS=-mod=mod nice go build -trimpath -ldflags="$ldflags" -o "$outdir/" "$@")
}

# what is missing, built one module at a time: the packages of a module in one `go build`, which
# compiles each shared package once and links one binary while it compiles for the next
missing=()
for entry in "${bins[@]}"; do
  IFS='|' read -r name dir pkg version key <<<"$entry"
  [ -n "$only" ] && [ "$only" != "$name" ] && continue
  out="$cache/$name-$version$key"
  if [ -x "$out" ]; then
    echo "bins: $name $version cached at $out"
  else
    missing+=("$entry")
  fi
done
done_dirs=" "
for first in "${missing[@]}"; do
  dir="$(cut -d'|' -f2 <<<"$first")"
  [[ "$done_dirs" == *" $dir "* ]] && continue
  done_dirs+="$dir "
  names=() pkgs=()
  for entry in "${missing[@]}"; do
    IFS='|' read -r name d pkg version key <<<"$entry"
    [ "$d" = "$dir" ] || continue
    names+=("$name")
    pkgs+=("$pkg")
  done
  echo "bins: building ${names[*]} from hack/$dir (this takes minutes on a cold cache)..."
  start=$(date +%s)
  tmp="$(mktemp -d "$cache/.build-XXXXXX")"
  # shellcheck disable=SC2064
  trap "rm -rf '$tmp'" EXIT
  go_build "$dir" "$tmp" "${pkgs[@]}"
  for entry in "${missing[@]}"; do
    IFS='|' read -r name d pkg version key <<<"$entry"
    [ "$d" = "$dir" ] || continue
    mv "$tmp/$(built_name "$pkg")" "$cache/$name-$version$key"
  done
  rm -rf "$tmp"
  trap - EXIT
  echo "bins: built ${names[*]} in $(($(date +%s) - start))s"
done

for entry in "${bins[@]}"; do
  IFS='|' read -r name dir pkg version key <<<"$entry"
  [ -n "$only" ] && [ "$only" != "$name" ] && continue
  out="$cache/$name-$version$key"
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
      src="$(cd "$here/bins" && GOFLAGS=-mod=mod go list -m -f '{{.Dir}}' github.com/argoproj/argo-cd/v3)/manifests"
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
