#!/usr/bin/env bash
# Runs the sites-deployer ValidatingAdmissionPolicy, as synthesized into the
# production-platform stack, through Kubernetes' own admission plugin
# (tools/admission-check: k8s.io/apiserver v0.34.3, the Kubernetes of RKE2
# v1.34.3) against the cases in tools/admission-check/cases.yaml. Fails when
# an expression does not compile or a case is decided otherwise than expected.
#
# The checker is built into $TOOLS_DIR/bin (default .tools/bin) and rebuilt
# only when its stamp changes: the Go version, go.mod, go.sum and the source.
# Synthesizes first if cdktf.out is missing (run `npm run synth` after a change
# to the policy: an existing cdktf.out is used as it is).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
src=tools/admission-check
tools=${TOOLS_DIR:-$repo/.tools}
bin=$tools/bin/admission-check
stamp_file=$tools/stamps/admission-check
stamp=$( { go version; cat "$src/go.mod" "$src/go.sum" "$src/main.go"; } | sha256sum | cut -d' ' -f1)
if [[ ! -x $bin || $(cat "$stamp_file" 2>/dev/null) != "$stamp" ]]; then
  echo "[admission] building $src ($(sed -n 's/^\tk8s.io\/apiserver //p' "$src/go.mod" | awk 'NR == 1') from the Go module proxy)"
  mkdir -p "$tools/bin" "$tools/stamps"
  (cd "$src" && GOFLAGS="-mod=mod -buildvcs=false" go build -o "$bin" .)
  echo "$stamp" >"$stamp_file"
fi

stack=cdktf.out/stacks/production-platform/cdk.tf.json
[[ -f $stack ]] || npm run --silent synth >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The policy and its binding: the values of the helm_release SitesDeployer_Scope
# (the objects of charts/platform-manifests), with Terraform's $${ escape undone.
node -e '
  const s = require(process.argv[1]);
  const found = Object.entries(s.resource.helm_release || {}).find(([id]) => id.includes("SitesDeployer_Scope"));
  if (!found) { console.error("no helm_release SitesDeployer_Scope in " + process.argv[1]); process.exit(2); }
  require("fs").writeFileSync(process.argv[2], found[1].values[0].replaceAll("$${", "${"));' "$repo/$stack" "$work/policy.yaml"

echo "[admission] sites-deployer policy from $stack, cases from $src/cases.yaml"
"$bin" -policy "$work/policy.yaml" -cases "$src/cases.yaml"
