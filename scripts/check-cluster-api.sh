#!/usr/bin/env bash
# npm run check:cluster-api: the Cluster API side of autoscaled pools against
# its pinned upstream sources (versions, images and hashes in
# lib/platform/cluster-api.ts: CLUSTER_API), from the Go module proxy:
#  1. the vendored controller manifests (charts/cluster-api-core,
#     charts/cluster-api-openstack) are rebuilt from the modules' kustomize
#     bases by tools/capi-manifests (sigs.k8s.io/kustomize/api, pinned in its
#     go.mod) and must equal the committed files byte for byte; ORC's Image CRD
#     is the module's file. `--write` regenerates them instead.
#  2. the objects of lib/platform/cluster-api.ts are validated against the
#     modules' CRDs (scripts/check-cluster-api.ts), every unknown field refused.
# The tool is built into $TOOLS_DIR/bin (default .tools/bin), rebuilt only when
# its stamp (Go version, go.mod, go.sum, main.go) changes.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
write=false
[[ ${1:-} == --write ]] && write=true
start=$(date +%s.%N)
read -r CAPI_MOD CAPI_VER CAPI_IMG CAPO_MOD CAPO_VER CAPO_SUM CAPO_IMG ORC_MOD ORC_VER ORC_SUM < <(npx tsx -e "
import { CLUSTER_API as c } from './lib/platform/cluster-api';
console.log(c.core.module, c.core.version, c.core.image, c.openstack.module, c.openstack.version, c.openstack.sum, c.openstack.image, c.orc.module, c.orc.version, c.orc.sum);")
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
field() { node -e "const j=JSON.parse(require('fs').readFileSync(0,'utf8')); if(j.Error){console.error(j.Error);process.exit(1)} console.log(j[process.argv[1]])" "$1"; }
# Modules outside sum.golang.org (404 there): fetched without the checksum database, their hash compared here.
download_pinned() { # module version sum -> dir
  local json sum
  json=$(cd "$work" && GONOSUMDB="$1" GOFLAGS=-mod=mod go mod download -json "$1@$2")
  sum=$(printf '%s' "$json" | field Sum)
  if [ "$sum" != "$3" ]; then echo "$1@$2: hash $sum, pinned $3: refusing it" >&2; exit 1; fi
  echo "$1@$2 $sum (pinned)" >&2
  printf '%s' "$json" | field Dir
}
capi=$(cd "$work" && go mod download -json "$CAPI_MOD@$CAPI_VER")
capi_dir=$(printf '%s' "$capi" | field Dir)
echo "$CAPI_MOD@$CAPI_VER $(printf '%s' "$capi" | field Sum)"
capo_dir=$(download_pinned "$CAPO_MOD" "$CAPO_VER" "$CAPO_SUM")
orc_dir=$(download_pinned "$ORC_MOD" "$ORC_VER" "$ORC_SUM")

src=tools/capi-manifests
tools=${TOOLS_DIR:-$repo/.tools}
bin=$tools/bin/capi-manifests
stamp_file=$tools/stamps/capi-manifests
stamp=$( { go version; cat "$src/go.mod" "$src/go.sum" "$src/main.go"; } | sha256sum | cut -d' ' -f1)
if [[ ! -x $bin || $(cat "$stamp_file" 2>/dev/null) != "$stamp" ]]; then
  echo "[cluster-api] building $src (sigs.k8s.io/kustomize/api $(sed -n 's/^\tsigs.k8s.io\/kustomize\/api //p' "$src/go.mod"))"
  mkdir -p "$tools/bin" "$tools/stamps"
  (cd "$src" && GOFLAGS="-mod=mod -buildvcs=false" go build -o "$bin" .)
  echo "$stamp" >"$stamp_file"
fi

# The vendored manifests: rebuilt and compared (or written).
mkdir -p "$work/core" "$work/openstack"
"$bin" -module "$capi_dir" -source "$CAPI_MOD@$CAPI_VER" -image "$CAPI_IMG" -out "$work/core/core-components.yaml" 2> >(grep -v "'commonLabels' is deprecated" >&2)
"$bin" -module "$capo_dir" -source "$CAPO_MOD@$CAPO_VER" -image "$CAPO_IMG" -out "$work/openstack/infrastructure-components.yaml" 2> >(grep -v "'commonLabels' is deprecated" >&2)
cp "$orc_dir/config/crd/bases/openstack.k-orc.cloud_images.yaml" "$work/openstack/orc-images-crd.yaml"
chart_version() { sed -n 's/^version: //p' "charts/$1/Chart.yaml"; }
status=0
for pair in "cluster-api-core:core:${CAPI_VER#v}" "cluster-api-openstack:openstack:${CAPO_VER#v}"; do
  IFS=: read -r chart dir version <<<"$pair"
  if [[ $(chart_version "$chart") != "$version" ]]; then
    echo "charts/$chart/Chart.yaml: version $(chart_version "$chart"), the pinned release is $version: set it (and appVersion) to $version" >&2; status=1
  fi
  for f in "$work/$dir"/*.yaml; do
    target=charts/$chart/files/$(basename "$f")
    if $write; then
      cp "$f" "$target"; echo "wrote $target"
    elif ! cmp -s "$f" "$target"; then
      echo "FAIL  $target differs from what $src renders from the pinned module (run: npm run check:cluster-api -- --write)" >&2
      diff "$f" "$target" | head -20 >&2 || true
      status=1
    else
      echo "ok    $target ($(wc -c <"$target") bytes) equals the rendering of the pinned module"
    fi
  done
done
[[ $status == 0 ]] || exit 1

# The two charts through real Helm (the version and build rule of scripts/render-charts.sh,
# which CI runs first, so the binary is usually there): each must give exactly its files' documents
# (helm template errors, a missing file or an object changed on the way fail).
HELM_VERSION=$(sed -n 's/^HELM_VERSION=//p' scripts/render-charts.sh)
helm=$tools/bin/helm
if [[ ! -x $helm || $(cat "$tools/stamps/helm" 2>/dev/null) != "$HELM_VERSION" ]]; then
  echo "[cluster-api] building helm $HELM_VERSION from its Go module"
  GOBIN=$tools/bin GOFLAGS=-mod=mod go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  mkdir -p "$tools/stamps" && echo "$HELM_VERSION" >"$tools/stamps/helm"
fi
for chart in cluster-api-core cluster-api-openstack; do
  "$helm" template "$chart" "charts/$chart" --namespace "$chart" >"$work/$chart.rendered.yaml"
  node -e '
    const { parseAllDocuments } = require("yaml");
    const fs = require("fs");
    const docs = (f) => parseAllDocuments(fs.readFileSync(f, "utf8")).map((d) => d.toJS()).filter(Boolean);
    const [chart, rendered, ...files] = process.argv.slice(1);
    // Helm orders the documents by kind (its install order): compare them keyed, not in sequence.
    const keyed = (list) => list.map((d) => [`${d.kind}/${d.metadata.namespace ?? ""}/${d.metadata.name}`, JSON.stringify(d)]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const want = keyed(files.flatMap(docs)), got = keyed(docs(rendered));
    if (JSON.stringify(got) !== JSON.stringify(want)) { console.error(`FAIL  helm template charts/${chart}: ${got.length} documents, the files hold ${want.length}`); process.exit(1); }
    console.log(`ok    helm template charts/${chart}: ${got.length} documents, those of its files`);
  ' "$chart" "$work/$chart.rendered.yaml" charts/$chart/files/*.yaml
done

npx tsx scripts/check-cluster-api.ts "$capi_dir" "$capo_dir"
echo "check-cluster-api: $(node -e "console.log((Date.now()/1000-$start).toFixed(1))") s"
