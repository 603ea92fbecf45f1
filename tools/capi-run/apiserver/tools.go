//go:build tools

// The binaries scripts/check-cluster-api-run.sh builds, pinned by this go.mod.
package apiserver

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
