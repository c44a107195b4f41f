//go:build tools

// Package tools pins the CoreDNS that hack/bins.sh builds for `make cluster` (the cluster DNS,
// run on the host behind the kube-dns Service).
package tools

import _ "github.com/coredns/coredns"
