//go:build tools

// Package tools pins what hack/bins.sh builds from this one module: the Kubernetes commands (the
// control plane for `make dev` and the tests, the node's kubelet, kube-proxy and kube-scheduler for
// `make cluster`), the etcd server, Argo CD (`make test`, `make dev GITOPS=1`) and, from
// ./coredns, the node's CoreDNS. One module gives them one set of shared dependencies (client-go,
// gRPC, protobuf, OpenTelemetry, the etcd client), each compiled once for all of them.
package tools

import (
	_ "github.com/argoproj/argo-cd/v3/cmd"
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
