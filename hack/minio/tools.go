//go:build tools

// Package tools pins the MinIO server that hack/bins.sh builds.
package tools

import _ "github.com/minio/minio"
