//go:build tools

// Package tools pins the MinIO client that hack/bins.sh builds for `make cluster`: the bucket Job
// of config/minio runs it in a local image (the registry's cannot be pulled there).
package tools

import _ "github.com/minio/mc"
