#!/usr/bin/env bash
# RPS Quest on kind (hosts with Docker): the same manifests as production, real containers.
#   hack/kind.sh image      build the one image (rps-quest:dev)
#   hack/kind.sh up         create the kind cluster, build the image and load it into the cluster
#   hack/kind.sh load       (re)load the image into the cluster, after a rebuild
#   hack/kind.sh deploy     apply config/crd, config/default and config/samples, wait until it runs
#   hack/kind.sh undeploy   delete the samples, then everything config/default created
#   hack/kind.sh down       delete the kind cluster
# Settings: KIND_CLUSTER (default rps-quest), IMAGE (default rps-quest:dev), KUBE_CONTEXT (default
# kind-<cluster>), KUBECTL, KIND, DOCKER.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cluster="${KIND_CLUSTER:-rps-quest}"
image="${IMAGE:-rps-quest:dev}"
namespace=rps-quest
docker="${DOCKER:-docker}"
kind="${KIND:-kind}"
if [[ -z "${KUBECTL:-}" ]]; then
  if command -v kubectl >/dev/null; then KUBECTL=kubectl; else KUBECTL="${XDG_CACHE_HOME:-$HOME/.cache}/rps-quest/bin/kubectl"; fi
fi
context="${KUBE_CONTEXT:-kind-$cluster}"
kubectl() { "$KUBECTL" --context "$context" "$@"; }

need() {
  command -v "$1" >/dev/null || { echo "hack/kind.sh: '$1' is not installed ($2)" >&2; exit 1; }
}
say() { printf '\033[1m%s\033[0m\n' "$*"; }

build_image() {
  need "$docker" "https://docs.docker.com/engine/install/"
  say "building $image…"
  "$docker" build -t "$image" "$repo"
}

load_image() {
  need "$kind" "https://kind.sigs.k8s.io/docs/user/quick-start/#installation"
  say "loading $image into kind cluster $cluster…"
  "$kind" load docker-image "$image" --name "$cluster"
}

case "${1:-}" in
  image)
    build_image
    ;;
  up)
    need "$kind" "https://kind.sigs.k8s.io/docs/user/quick-start/#installation"
    if "$kind" get clusters | grep -qx "$cluster"; then
      say "kind cluster $cluster exists"
    else
      say "creating kind cluster $cluster…"
      "$kind" create cluster --name "$cluster" --wait 120s
    fi
    build_image
    load_image
    ;;
  load)
    load_image
    ;;
  deploy)
    [[ -x "$KUBECTL" ]] || command -v "$KUBECTL" >/dev/null || { echo "hack/kind.sh: kubectl not found (make bins builds one)" >&2; exit 1; }
    say "installing the CRDs…"
    kubectl apply --server-side -k "$repo/config/crd"
    kubectl wait --for=condition=Established --timeout=60s crd/rpsmodels.rpsquest.dev crd/promotionpolicies.rpsquest.dev
    say "applying config/default (namespace $namespace)…"
    kubectl apply --server-side -k "$repo/config/default"
    kubectl -n "$namespace" rollout status statefulset/rps-quest-minio --timeout=300s
    kubectl -n "$namespace" wait --for=condition=Complete --timeout=300s job/rps-quest-minio-bucket
    kubectl -n "$namespace" rollout status deployment/rps-quest-operator --timeout=300s
    kubectl -n "$namespace" rollout status deployment/rps-quest-game --timeout=300s
    say "applying config/samples (Brian, Forrest, Logan, the default PromotionPolicy)…"
    kubectl apply --server-side -n "$namespace" -k "$repo/config/samples"
    cat <<MSG

Deployed. The first training Jobs are running:
  kubectl --context $context -n $namespace get rpsm,jobs -w
Play (then open http://127.0.0.1:8080):
  kubectl --context $context -n $namespace port-forward svc/rps-quest-game 8080:80
MSG
    ;;
  undeploy)
    # The bots first, while the operator still runs to release their finalizers.
    kubectl delete -n "$namespace" -k "$repo/config/samples" --ignore-not-found --wait --timeout=120s || true
    kubectl delete -k "$repo/config/default" --ignore-not-found --wait --timeout=300s
    ;;
  down)
    need "$kind" "https://kind.sigs.k8s.io/docs/user/quick-start/#installation"
    "$kind" delete cluster --name "$cluster"
    ;;
  *)
    sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
