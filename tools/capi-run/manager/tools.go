//go:build tools

// The binary scripts/check-cluster-api-run.sh builds, pinned by this go.mod.
package manager

import _ "sigs.k8s.io/cluster-api"
