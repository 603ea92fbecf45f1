#!/usr/bin/env bash
# npm run check:cluster-api: the Cluster API objects of lib/platform/cluster-api.ts
# against the CRDs of the pinned Cluster API and CAPO Go modules (versions and the
# CAPO hash in lib/platform/cluster-api.ts: CLUSTER_API).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s.%N)
read -r CAPI_MOD CAPI_VER CAPO_MOD CAPO_VER CAPO_SUM < <(npx tsx -e "
import { CLUSTER_API as c } from './lib/platform/cluster-api';
console.log(c.core.module, c.core.version, c.openstack.module, c.openstack.version, c.openstack.sum);")
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cd "$work"
capi=$(go mod download -json "$CAPI_MOD@$CAPI_VER")
# CAPO v0.13.0 is not in sum.golang.org (404): skip the checksum database for it and compare its hash here.
capo=$(GONOSUMDB="$CAPO_MOD" GOFLAGS=-mod=mod go mod download -json "$CAPO_MOD@$CAPO_VER")
field() { node -e "const j=JSON.parse(require('fs').readFileSync(0,'utf8')); if(j.Error){console.error(j.Error);process.exit(1)} console.log(j[process.argv[1]])" "$1"; }
capi_dir=$(printf '%s' "$capi" | field Dir)
capo_dir=$(printf '%s' "$capo" | field Dir)
capo_sum=$(printf '%s' "$capo" | field Sum)
if [ "$capo_sum" != "$CAPO_SUM" ]; then
  echo "$CAPO_MOD@$CAPO_VER: hash $capo_sum, pinned $CAPO_SUM: refusing it" >&2; exit 1
fi
echo "$CAPI_MOD@$CAPI_VER $(printf '%s' "$capi" | field Sum)"
echo "$CAPO_MOD@$CAPO_VER $capo_sum (pinned)"
cd - >/dev/null
npx tsx scripts/check-cluster-api.ts "$capi_dir" "$capo_dir"
echo "check-cluster-api: $(node -e "console.log((Date.now()/1000-$start).toFixed(1))") s"
