//go:build tools

// Package tools pins the kustomize that Argo CD's repo-server runs to render config/ (the version Argo
// CD v3.2 pins).
package tools

import _ "sigs.k8s.io/kustomize/kustomize/v5"
