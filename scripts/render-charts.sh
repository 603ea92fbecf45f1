#!/usr/bin/env bash
# Renders the platform's Helm releases for real, where a chart's source can be
# reached from the build machines: Helm itself, Mimir's and Loki's charts and
# the local platform-manifests chart come from the Go module proxy (the chart
# repositories are not reachable there). Each release's values are taken from
# the synthesized tools-platform stack and rendered with `helm template`; a
# values key the chart does not understand shows up as a missing setting in
# the checks below, a template error fails the run.
#
# The chart sources are the nearest the proxy serves to the pinned versions
# (see CHART_SOURCES): they check the shape of our values, not the exact
# release. Their subchart dependencies (MinIO, Kafka, operators) are all
# disabled by our values and are dropped before rendering.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
HELM_VERSION=v3.19.0
KUBE_VERSION=1.34.3
# release chart-dir-in-module go-module@version
CHART_SOURCES=(
  "mimir operations/helm/charts/mimir-distributed github.com/grafana/mimir@v1.3.1-0.20260423142704-aced80d74930"
  "loki production/helm/loki github.com/grafana/loki/v3@v3.7.8"
)
tools=${TOOLS_DIR:-$repo/.tools}
helm=$tools/bin/helm
if [[ ! -x $helm || $(cat "$tools/stamps/helm" 2>/dev/null) != "$HELM_VERSION" ]]; then
  echo "[charts] building helm $HELM_VERSION from its Go module"
  GOBIN=$tools/bin GOFLAGS=-mod=mod go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  mkdir -p "$tools/stamps" && echo "$HELM_VERSION" >"$tools/stamps/helm"
fi

[[ -f cdktf.out/stacks/tools-platform/cdk.tf.json ]] || npm run --silent synth >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# values-<release>.yaml of tools-platform, with Terraform's $${ escape undone.
node -e '
  const s = require(process.argv[1]);
  for (const r of Object.values(s.resource.helm_release)) {
    require("fs").writeFileSync(`${process.argv[2]}/values-${r.name}.yaml`, r.values[0].replaceAll("$${", "${"));
  }' "$repo/cdktf.out/stacks/tools-platform/cdk.tf.json" "$work"

failed=0
render() { # RELEASE CHART_DIR
  if "$helm" template "$1" "$2" -n monitoring --kube-version "$KUBE_VERSION" -f "$work/values-$1.yaml" >"$work/$1.out" 2>"$work/$1.err"; then
    return 0
  fi
  echo "FAIL  $1: helm template failed"; sed 's/^/      /' "$work/$1.err"; failed=$((failed + 1)); return 1
}
expect() { # RELEASE TEXT WHY
  if grep -qF -- "$2" "$work/$1.out"; then echo "ok    $1: $3"; else echo "FAIL  $1: $3 (no '$2' in the rendered manifests)"; failed=$((failed + 1)); fi
}

for source in "${CHART_SOURCES[@]}"; do
  read -r release dir module <<<"$source"
  moddir=$(go mod download -json "$module" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).Dir))')
  cp -r "$moddir/$dir" "$work/$release" && chmod -R u+w "$work/$release"
  rm -f "$work/$release/Chart.lock"
  # Drop the subchart dependencies our values disable.
  node -e '
    const fs = require("fs"); const f = process.argv[1];
    const text = fs.readFileSync(f, "utf8"); const at = text.indexOf("\ndependencies:");
    if (at >= 0) fs.writeFileSync(f, text.slice(0, at + 1));' "$work/$release/Chart.yaml"
  echo "[charts] $release from $module ($(grep -m1 '^version:' "$work/$release/Chart.yaml"))"
  render "$release" "$work/$release" || continue
  expect "$release" "-config.expand-env=true" "reads the S3 keys from the environment"
  expect "$release" "name: object-storage" "gets them from the object-storage secret"
  expect "$release" "s3.pub1.infomaniak.cloud" "stores on Infomaniak's S3 endpoint"
done
expect mimir "bucket_name: webhost-tools-mimir-blocks" "keeps blocks in their container"
expect mimir "multitenancy_enabled: true" "is multi-tenant"
expect mimir "bucket_lookup_type: path" "addresses buckets path-style"
expect loki "auth_enabled: true" "is multi-tenant"
expect loki "s3forcepathstyle: true" "addresses buckets path-style"
expect loki "bucketnames: webhost-tools-loki-chunks" "keeps chunks in their container"

for release in cluster-issuers telemetry-write-auth tenant-guardrails; do
  render "$release" charts/platform-manifests && expect "$release" "apiVersion:" "renders its objects"
done

if ((failed > 0)); then echo "$failed chart check(s) failed" >&2; exit 1; fi
echo "all chart checks passed (helm $HELM_VERSION, Kubernetes $KUBE_VERSION)"
