#!/usr/bin/env bash
# Writes providers/terraform/schema.json: `tofu providers schema -json` of
# OpenTofu's built-in provider (terraform.io/builtin/terraform), which holds
# terraform_data and terraform_remote_state, from the pinned OpenTofu (npm run
# tools). The schema-conformance test checks those two against it. Run it
# again after a bump of TOFU_VERSION in scripts/tool-versions.sh.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
source "$repo/scripts/tool-env.sh"
source "$repo/scripts/tool-versions.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# One of each built-in type, so that the provider is part of the configuration.
cat >"$work/main.tf.json" <<'JSON'
{ "resource": { "terraform_data": { "x": {} } },
  "data": { "terraform_remote_state": { "y": { "backend": "local" } } } }
JSON
tofu -chdir="$work" init -backend=false -input=false >/dev/null
tofu -chdir="$work" providers schema -json \
  | node -e '
      const doc = JSON.parse(require("fs").readFileSync(0, "utf8"));
      const key = "terraform.io/builtin/terraform";
      const out = { format_version: doc.format_version, provider_versions: { [key]: process.argv[1] }, provider_schemas: { [key]: doc.provider_schemas[key] } };
      process.stdout.write(JSON.stringify(out, null, 2) + "\n");' "$TOFU_VERSION" >"$work/schema.json"
mv "$work/schema.json" "$repo/providers/terraform/schema.json"
echo "wrote providers/terraform/schema.json (OpenTofu $TOFU_VERSION)"
