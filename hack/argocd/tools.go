//go:build tools

// Package tools pins the Argo CD release that hack/bins.sh builds (one multi-call binary, selected by
// the name it runs under: argocd, argocd-server, argocd-repo-server, argocd-application-controller).
package tools

import _ "github.com/argoproj/argo-cd/v3/cmd"
