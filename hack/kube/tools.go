//go:build tools

// Package tools pins the Kubernetes commands that hack/bins.sh builds: the control plane for
// `make dev` and the tests, and the node (kubelet, kube-proxy, kube-scheduler) for `make cluster`.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
